"""Configuration as a person meets it: ``config show``, warnings for names that are not
settings, an empty AGENTCRON_HOME, and one set of agentcron.toml files for the CLI and serve."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.test_cli_schedule import agentcron as run_command
from tests.acceptance.test_serve import Serve

DB_PASSWORD = "pg-Pa55w0rd-xyz"
OPENAI_KEY = "sk-openai-test-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"
MCP_TOKEN = "ghp-test-token-0123456789"
SECRETS = (DB_PASSWORD, OPENAI_KEY, ANTHROPIC_KEY, MCP_TOKEN)


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """The folder commands run in."""
    folder = tmp_path / "here"
    folder.mkdir()
    return folder


@pytest.fixture
def user_config(tmp_path: Path) -> Path:
    """The user's agentcron config folder ($XDG_CONFIG_HOME/agentcron), empty."""
    folder = tmp_path / "config" / "agentcron"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def env(tmp_path: Path, user_config: Path) -> dict[str, str]:
    return {
        "AGENTCRON_HOME": str(tmp_path / "data"),
        "AGENTCRON_TIMEZONE": "UTC",
        "XDG_CONFIG_HOME": str(user_config.parent),
    }


def agentcron(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_command(*args, env=env, cwd=cwd)


def test_config_show_tells_each_value_and_its_source_with_secrets_masked(
    env: dict[str, str], here: Path, user_config: Path
) -> None:
    env |= {
        "AGENTCRON_DATABASE_URL": f"postgresql://ann:{DB_PASSWORD}@127.0.0.1:5432/test",
        "AGENTCRON_OPENAI_API_KEY": OPENAI_KEY,
        "AGENTCRON_MCP_SERVERS": json.dumps(
            {"github": {"command": "github-mcp", "env": {"GITHUB_TOKEN": MCP_TOKEN}}}
        ),
    }
    (here / "agentcron.toml").write_text(
        f'anthropic_api_key = "{ANTHROPIC_KEY}"\nmodel = "anthropic:claude-sonnet-4-5"\n'
    )
    (user_config / "agentcron.toml").write_text('user = "ann"\nmodel = "openai:gpt-4o-mini"\n')
    shown = agentcron("config", "show", "--json", env=env, cwd=here)
    human = agentcron("config", "show", env=env, cwd=here)
    for result in (shown, human):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert [s for s in SECRETS if s in result.stdout + result.stderr] == []
    document = json.loads(shown.stdout)
    settings = document["settings"]
    assert settings["database_url"] == {
        "value": "postgresql://ann:****@127.0.0.1:5432/test",
        "source": "AGENTCRON_DATABASE_URL",
    }
    assert settings["openai_api_key"] == {"value": "****", "source": "AGENTCRON_OPENAI_API_KEY"}
    assert settings["anthropic_api_key"] == {
        "value": "****",
        "source": str(here / "agentcron.toml"),
    }
    assert settings["mcp_servers"]["value"]["github"]["env"] == {"GITHUB_TOKEN": "****"}
    assert settings["model"] == {
        "value": "anthropic:claude-sonnet-4-5",
        "source": str(here / "agentcron.toml"),
    }
    assert settings["user"] == {"value": "ann", "source": str(user_config / "agentcron.toml")}
    assert settings["concurrency"] == {"value": 64, "source": "default"}
    assert settings["timezone"] == {"value": "UTC", "source": "AGENTCRON_TIMEZONE"}
    assert document["files"] == [
        {"path": str(here / "agentcron.toml"), "found": True},
        {"path": str(user_config / "agentcron.toml"), "found": True},
    ]
    lines = {line.split()[0]: line.split()[1:] for line in human.stdout.splitlines() if line}
    assert lines["concurrency"] == ["│", "64", "│", "default"]
    assert lines["openai_api_key"] == ["│", "****", "│", "AGENTCRON_OPENAI_API_KEY"]


def test_config_show_says_what_an_unset_setting_means(env: dict[str, str], here: Path) -> None:
    del env["AGENTCRON_TIMEZONE"]
    env["AGENTCRON_HOME"] = str(here / "data")
    settings = json.loads(agentcron("config", "show", "--json", env=env, cwd=here).stdout)
    settings = settings["settings"]
    assert settings["timezone"]["source"] == "default"
    assert settings["timezone"]["value"]  # the machine's zone
    assert settings["database_url"] == {
        "value": f"sqlite:///{here / 'data' / 'agentcron.db'}",
        "source": "default",
    }
    assert settings["model"] == {"value": None, "source": "default"}
    assert not (here / "data").exists()  # showing the settings opens no store


@pytest.mark.parametrize(
    ("variable", "meant"),
    [("AGENTCRON_TIMEZON", "AGENTCRON_TIMEZONE"), ("AGENTCRON_MODLE", "AGENTCRON_MODEL")],
)
def test_a_misspelled_variable_is_one_warning_and_the_command_goes_on(
    variable: str, meant: str, env: dict[str, str], here: Path
) -> None:
    warning = f"{variable} is not a setting; did you mean {meant}?"
    result = agentcron("ls", env=env | {variable: "Asia/Kolkata"}, cwd=here)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"warning: {warning}\n"
    assert result.stdout.startswith("No tasks.")
    as_json = agentcron("ls", "--json", env=env | {variable: "x"}, cwd=here)
    assert as_json.returncode == 0, as_json.stderr
    assert [json.loads(line) for line in as_json.stderr.splitlines()] == [{"warning": warning}]
    assert json.loads(as_json.stdout) == []


def test_a_misspelled_file_key_is_one_warning_naming_the_file(
    env: dict[str, str], here: Path, user_config: Path
) -> None:
    (user_config / "agentcron.toml").write_text('log_levle = "DEBUG"\n')
    result = agentcron("schedule", "parse", "every day at 9", env=env, cwd=here)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"warning: log_levle in {user_config / 'agentcron.toml'} is not a setting; "
        "did you mean log_level?\n"
    )


def test_settings_and_the_variables_read_elsewhere_are_not_warned_of(
    env: dict[str, str], here: Path
) -> None:
    env |= {
        "AGENTCRON_TRACEBACK": "1",
        "AGENTCRON_TEST_PG": os.environ.get("AGENTCRON_TEST_PG", "postgresql://"),
        "AGENTCRON_USER": "ann",
        "AGENTCRON_LOG_LEVEL": "INFO",
        "AGENTCRON_MODEL": "test",
    }
    (here / "agentcron.toml").write_text('concurrency = 4\nshell_allow = ["echo"]\n')
    for args in (("ls",), ("config", "show"), ("schedule", "parse", "in 1 hour")):
        result = agentcron(*args, env=env, cwd=here)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""


def test_an_empty_home_is_refused_and_no_store_appears_here(
    env: dict[str, str], here: Path
) -> None:
    for command in (("ls",), ("add", "t", "--when", "in 1 hour"), ("serve",)):
        result = agentcron(*command, env=env | {"AGENTCRON_HOME": ""}, cwd=here)
        assert result.returncode == 78, result.stdout + result.stderr
        assert result.stderr == (
            "error: Invalid configuration (home: is empty; set AGENTCRON_HOME to a folder, "
            "or unset it to keep the store in the user's data folder).\n"
        )
    assert list(here.iterdir()) == []


def test_the_cli_and_serve_read_the_users_file_wherever_they_run(
    env: dict[str, str], tmp_path: Path, here: Path, user_config: Path
) -> None:
    del env["AGENTCRON_TIMEZONE"]
    (user_config / "agentcron.toml").write_text('timezone = "Asia/Kolkata"\nuser = "ann"\n')
    serve = Serve(os.environ | env, tmp_path / "serve.log")
    try:
        added = agentcron("add", "Tea", "--when", "every day at 17:00", "--json", env=env, cwd=here)
    finally:
        assert serve.stop() == 0
    assert added.returncode == 0, added.stderr
    task = json.loads(added.stdout)
    assert (task["owner_id"], task["timezone"]) == ("ann", "Asia/Kolkata")
    assert "user ann, zone Asia/Kolkata" in (tmp_path / "serve.log").read_text()
