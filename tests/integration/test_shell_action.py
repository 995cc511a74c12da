"""The shell action: what its programs see of serve's environment, and what they may be given."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from agentcron.actions import ActionContext, ActionFailed
from agentcron.actions.shell import ShellAction
from agentcron.config import Settings, load_settings
from agentcron.errors import ConfigurationError, InvalidInputError
from agentcron.service import TaskService


def context(settings: Settings, payload: dict[str, Any]) -> ActionContext:
    return ActionContext(
        run_id=1, task_id=1, task_title="t", owner_id="ann", timezone="Asia/Tokyo",
        scheduled_for=datetime(2026, 11, 22, tzinfo=UTC), attempt=1, payload=payload,
        settings=settings,
    )  # fmt: skip


def variables(output: str) -> dict[str, str]:
    return dict(line.partition("=")[::2] for line in output.splitlines())


@pytest.mark.parametrize("program", ["printenv", "env"])
async def test_the_program_gets_a_minimal_environment_and_the_task_s_own(
    program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = secrets.token_hex(12)  # made up here
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("AGENTCRON_DATABASE_URL", f"postgresql://u:{secret}@127.0.0.1/db")
    monkeypatch.setenv("SERVE_ONLY_SETTING", secret)
    monkeypatch.setenv("LANG", "C.UTF-8")
    action = ShellAction(Settings(shell_allow=[program]))
    payload = action.validate({"command": program, "env": {"GREETING": "hello there"}})
    result = await action.run(context(action.settings, payload))
    seen = variables(result.output)
    assert secret not in result.output
    assert set(seen) <= {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "GREETING"}
    assert seen["GREETING"] == "hello there"
    assert seen["TZ"] == "Asia/Tokyo"  # the task's zone
    assert seen["LANG"] == "C.UTF-8"
    assert seen["PATH"]


async def test_tz_is_the_task_s_zone_for_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    action = ShellAction(Settings(shell_allow=["date"]))
    payload = action.validate({"command": "date -d @0 +%H:%Z"})
    result = await action.run(context(action.settings, payload))
    assert result.output == "09:JST"  # 1970-01-01T00:00Z in Tokyo


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"lower": "x"}, "'lower' is not a variable name"),
        ({"1ST": "x"}, "'1ST' is not a variable name"),
        ({"A-B": "x"}, "'A-B' is not a variable name"),
        ({"A" * 200: "x"}, "is not a variable name"),
        ({"PATH": "/tmp"}, "PATH is set by agentcron and cannot be given"),
        ({"HOME": "/tmp"}, "HOME is set by agentcron"),
        ({"TZ": "UTC"}, "TZ is set by agentcron"),
        ({"LD_PRELOAD": "/tmp/x.so"}, "LD_PRELOAD would let the program load other code"),
        ({"BASH_ENV": "/tmp/x"}, "BASH_ENV would let the program load other code"),
        ({"GIT_SSH_COMMAND": "sh"}, "GIT_SSH_COMMAND would let the program load other code"),
        ({"BIG": "x" * 5000}, "BIG is 5,000 characters; at most 4,096"),
        ({"NUL": "a\0b"}, "NUL contains a NUL character"),
        ({f"V{i}": "x" for i in range(33)}, "at most 32 variables, not 33"),
        ({"NUMBER": 3}, "env.NUMBER: Input should be a valid string"),
    ],
)
async def test_a_bad_env_is_refused_at_creation(
    service: TaskService, env: dict[str, Any], problem: str
) -> None:
    request = {"title": "t", "when": "in 1 hour", "action": "shell",
               "payload": {"command": "echo hi", "env": env}}  # fmt: skip
    with pytest.raises(InvalidInputError) as refused:
        await service.create("ann", request)
    assert problem in refused.value.message
    assert refused.value.message.startswith("Invalid shell payload (env")
    assert await service.list_tasks("ann") == []


# argument patterns

PATTERNS = {"find": ["/srv/logs", "/srv/logs/*", "-name", "*.log", "-mtime", "+[0-9]*"], "date": []}


@pytest.fixture
def patterned(settings: Settings) -> Settings:
    settings.shell_allow = ["find", "date", "echo"]
    settings.shell_allow_args = PATTERNS
    return settings


async def test_arguments_matching_the_patterns_are_accepted(
    service: TaskService, patterned: Settings
) -> None:
    for command in ("find /srv/logs -name '*.log' -mtime +7", "find /srv/logs/app", "date"):
        request = {"title": "t", "when": "in 1 hour", "action": "shell",
                   "payload": {"command": command}}  # fmt: skip
        task = await service.create("ann", request)
        assert task.payload["command"] == command


@pytest.mark.parametrize(
    ("command", "refused"),
    [
        ("find /srv/logs -exec rm {} ;", "may not pass '-exec' to 'find'"),
        ("find / -name '*.log'", "may not pass '/' to 'find'"),
        ("find /srv/logs -mtime -delete", "may not pass '-delete' to 'find'"),
        ("date -s 2026-01-01", "may not pass '-s' to 'date' (arguments AGENTCRON_SHELL_ALLOW_ARGS "
                               "allows for it: none)"),
    ],
)  # fmt: skip
async def test_an_argument_outside_the_patterns_is_refused_at_creation(
    service: TaskService, patterned: Settings, command: str, refused: str
) -> None:
    request = {"title": "t", "when": "in 1 hour", "action": "shell",
               "payload": {"command": command}}  # fmt: skip
    with pytest.raises(InvalidInputError) as error:
        await service.create("ann", request)
    assert refused in error.value.message
    assert await service.list_tasks("ann") == []


async def test_the_patterns_are_named_in_the_refusal(patterned: Settings) -> None:
    with pytest.raises(InvalidInputError) as error:
        ShellAction(patterned).validate({"command": "find /srv/logs -exec"})
    assert "'/srv/logs', '/srv/logs/*', '-name', '*.log', '-mtime', '+[0-9]*'" in str(error.value)


async def test_a_program_without_patterns_takes_any_arguments(patterned: Settings) -> None:
    payload = ShellAction(patterned).validate({"command": "echo -n anything at all"})
    assert payload["command"] == "echo -n anything at all"


async def test_patterns_narrowed_after_creation_refuse_the_run(patterned: Settings) -> None:
    action = ShellAction(patterned)
    payload = action.validate({"command": "echo hi"})  # 'echo' had no patterns then
    assert payload["command"] == "echo hi"
    patterned.shell_allow_args = {"echo": ["hello"]}
    with pytest.raises(InvalidInputError, match="may not pass 'hi' to 'echo'"):
        await action.run(context(patterned, payload))


async def test_a_program_missing_from_path_fails_in_one_line() -> None:
    action = ShellAction(Settings(shell_allow=["no-such-program-here"]))
    payload = action.validate({"command": "no-such-program-here"})
    with pytest.raises(ActionFailed) as failed:
        await action.run(context(action.settings, payload))
    expected = "'no-such-program-here' cannot be run: No such file or directory."
    assert failed.value.message == expected
    assert not failed.value.retryable


def test_patterns_for_a_program_that_is_not_allowed_are_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTCRON_SHELL_ALLOW", "echo")
    monkeypatch.setenv("AGENTCRON_SHELL_ALLOW_ARGS", json.dumps({"find": ["-name"]}))
    with pytest.raises(ConfigurationError) as error:
        load_settings()
    assert "AGENTCRON_SHELL_ALLOW_ARGS gives patterns for find" in error.value.message
    monkeypatch.setenv("AGENTCRON_SHELL_ALLOW", "echo,find")
    assert load_settings().shell_allow_args == {"find": ["-name"]}
