"""``agentcron doctor`` as an operator runs it: one line per check, what to fix when one
fails, exit status 0 only when none does, and no secret shown, whatever it was given.

The distributed shape's checks against live schedulers and workers are in
``test_distributed_ops.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg

from agentcron.store.migrations import HEAD
from agentcron.testing.model_server import ScriptedModelServer
from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import environment
from tests.support.distributed import BROKER, DEAD_BROKER, with_password
from tests.support.local_http import free_port

SECRET = "Zq7doctorSecretPw"
LINE = re.compile(r"^(ok  |warn |FAIL )([a-z ]+): \S")


def doctor(env: dict[str, str]) -> tuple[int, str, dict[str, Any]]:
    """The exit status, the text report, and the JSON one's checks by name."""
    text = agentcron("doctor", env=env)
    as_json = agentcron("doctor", "--json", env=env)
    assert text.returncode == as_json.returncode, (text.stderr, as_json.stderr)
    report = json.loads(as_json.stdout)
    assert report["ok"] is (as_json.returncode == 0)
    for line in text.stdout.splitlines():
        assert LINE.match(line), line
    assert SECRET not in text.stdout + text.stderr + as_json.stdout + as_json.stderr
    return text.returncode, text.stdout, {c["check"]: c for c in report["checks"]}


def line(text: str, check: str) -> str:
    (found,) = [row for row in text.splitlines() if LINE.match(row)[2] == check]  # type: ignore[index]
    return found


def migrated(env: dict[str, str]) -> dict[str, str]:
    assert agentcron("ls", env=env).returncode == 0  # any command migrates
    return env


def test_a_fresh_store_fails_until_a_command_migrates_it_then_only_the_model_warns(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path)
    code, text, checks = doctor(env)
    assert code == 1
    assert checks["store"]["status"] == "ok"
    assert line(text, "migrations") == (
        "FAIL migrations: the store has no schema yet: run any agentcron command that "
        "migrates, e.g. agentcron serve/scheduler"
    )
    code, text, checks = doctor(migrated(env))
    assert code == 0, text
    assert line(text, "migrations") == f"ok  migrations: at head ({HEAD})"
    assert checks["shape"]["status"] == "ok"
    assert "embedded" in checks["shape"]["detail"]
    assert "checks are skipped" in checks["shape"]["detail"]
    assert {"broker", "workers", "queues", "schedulers"}.isdisjoint(checks)
    assert checks["model"]["status"] == "warn"  # agent tasks fail; nothing else does
    assert "AGENTCRON_MODEL is not set" in checks["model"]["detail"]
    assert checks["email transport"]["status"] == "ok"
    assert checks["channels"]["detail"].startswith("local has none")


def test_a_store_behind_is_named_and_left_as_it_is(pg_schema: str, tmp_path: Path) -> None:
    env = migrated(environment(tmp_path, AGENTCRON_DATABASE_URL=pg_schema))
    schema = pg_schema.rpartition("%3D")[2]
    with psycopg.connect(pg_schema.partition("?")[0], autocommit=True) as connection:
        connection.execute(f'UPDATE "{schema}".alembic_version SET version_num = %s', ("0004",))
    code, text, checks = doctor(env | {"AGENTCRON_DATABASE_URL": with_password(pg_schema, SECRET)})
    assert code == 1
    assert line(text, "migrations") == (
        f"FAIL migrations: at 0004, behind this agentcron's {HEAD}: run any agentcron command "
        "that migrates, e.g. agentcron serve/scheduler"
    )
    assert "channels" not in checks  # not read from a schema it does not know
    with psycopg.connect(pg_schema.partition("?")[0]) as connection:
        (version,) = connection.execute(f'SELECT version_num FROM "{schema}".alembic_version')
    assert version == ("0004",)  # doctor migrates nothing


def test_an_unreachable_store_fails_without_showing_its_password(tmp_path: Path) -> None:
    url = f"postgresql://agentcron:{SECRET}@127.0.0.1:{free_port()}/agentcron"
    code, _, checks = doctor(environment(tmp_path, AGENTCRON_DATABASE_URL=url))
    assert code == 1
    assert checks["store"]["status"] == "fail"
    assert "127.0.0.1" in checks["store"]["detail"]
    assert "AGENTCRON_DATABASE_URL" in checks["store"]["detail"]
    assert "migrations" not in checks


def test_a_broker_with_a_sqlite_store_is_refused_for_want_of_postgresql(tmp_path: Path) -> None:
    env = migrated(environment(tmp_path, AGENTCRON_BROKER_URL=with_password(BROKER, SECRET)))
    code, _, checks = doctor(env)
    assert code == 1
    assert checks["shape"]["status"] == "fail"
    assert "AGENTCRON_BROKER_URL is set" in checks["shape"]["detail"]
    assert "PostgreSQL" in checks["shape"]["detail"]
    assert "broker" not in checks


def test_a_broker_that_does_not_answer_fails_and_says_what_to_fix(
    pg_schema: str, tmp_path: Path
) -> None:
    env = environment(
        tmp_path,
        AGENTCRON_DATABASE_URL=pg_schema,
        AGENTCRON_BROKER_URL=with_password(DEAD_BROKER, SECRET),
    )
    code, text, checks = doctor(migrated(env))
    assert code == 1
    assert checks["shape"]["status"] == "ok"
    assert line(text, "broker").startswith("FAIL broker: redis://:****@127.0.0.1:6390/13 does")
    assert "fix AGENTCRON_BROKER_URL" in checks["broker"]["detail"]
    assert checks["schedulers"]["status"] == "fail"
    assert "agentcron scheduler" in checks["schedulers"]["detail"]


def test_an_openai_compatible_server_is_asked_for_its_models(tmp_path: Path) -> None:
    env = migrated(environment(tmp_path))
    with ScriptedModelServer(models=("scripted-model", "other")) as server:
        base = with_password(server.base_url, SECRET)
        listed = env | {
            "AGENTCRON_MODEL": "openai:scripted-model",
            "AGENTCRON_OPENAI_BASE_URL": base,
        }
        code, text, checks = doctor(listed)
        assert code == 0, text
        assert checks["model"]["status"] == "ok"
        assert f"127.0.0.1:{server.port}" in checks["model"]["detail"]
        assert [request.path for request in server.requests] == ["/v1/models"] * 2

        unknown = listed | {"AGENTCRON_MODEL": "openai:typo-model"}
        code, text, checks = doctor(unknown)
        assert code == 0  # a warning: the server may serve names it does not list
        assert checks["model"]["status"] == "warn"
        assert "does not list 'typo-model'" in checks["model"]["detail"]
        assert "scripted-model" in checks["model"]["detail"]
    code, text, checks = doctor(listed)  # the server is gone
    assert code == 1
    assert checks["model"]["status"] == "fail"
    assert "does not answer" in checks["model"]["detail"]
    assert "AGENTCRON_OPENAI_BASE_URL" in checks["model"]["detail"]


def test_a_hosted_model_needs_a_key_which_is_never_shown(tmp_path: Path) -> None:
    env = migrated(environment(tmp_path))
    code, text, checks = doctor(env | {"AGENTCRON_MODEL": "anthropic:claude-sonnet-4-5"})
    assert code == 1
    assert "set ANTHROPIC_API_KEY or AGENTCRON_ANTHROPIC_API_KEY" in checks["model"]["detail"]
    code, text, checks = doctor(
        env | {"AGENTCRON_MODEL": "openai:gpt-4o-mini", "OPENAI_API_KEY": SECRET}
    )
    assert code == 0, text
    assert checks["model"]["detail"].startswith(
        "openai:gpt-4o-mini, with a key from OPENAI_API_KEY"
    )
    code, text, checks = doctor(env | {"AGENTCRON_MODEL": "nosuch:model"})
    assert code == 1
    assert "provider among openai, anthropic, ollama, test" in checks["model"]["detail"]


def test_transports_and_channels_are_checked_as_apprise_takes_them(tmp_path: Path) -> None:
    mail = f"mailtos://agentcron:{SECRET}@smtp.example.com?from=agentcron@example.com"
    env = migrated(environment(tmp_path, AGENTCRON_EMAIL_TRANSPORT=mail))
    added = agentcron("channels", "add", "work", "email:ann@example.com", env=env)
    assert added.returncode == 0, added.stderr
    code, text, checks = doctor(env)
    assert code == 0, text
    assert line(text, "email transport").startswith(
        "ok  email transport: mailtos://agentcron:****@smtp.example.com"
    )
    assert checks["channels"]["detail"] == "local's 1 channel can be used: work"

    code, text, checks = doctor(env | {"AGENTCRON_SMS_TRANSPORT": "nosuchservice://abc"})
    assert code == 1
    assert checks["sms transport"]["status"] == "fail"
    assert "AGENTCRON_SMS_TRANSPORT" in checks["sms transport"]["detail"]
    assert "no service is known by 'nosuchservice://'" in checks["sms transport"]["detail"]

    without = {k: v for k, v in env.items() if k != "AGENTCRON_EMAIL_TRANSPORT"}
    code, text, checks = doctor(without)
    assert code == 1
    detail = checks["channels"]["detail"]
    assert detail.startswith("1 of local's 1 channel cannot be used: 'work' (email:****): ")
    assert "AGENTCRON_EMAIL_TRANSPORT" in detail
    assert "agentcron channels rm NAME" in detail


def test_settings_that_cannot_be_read_are_one_failed_check(tmp_path: Path) -> None:
    code, _, checks = doctor(environment(tmp_path, AGENTCRON_CONCURRENCY="many"))
    assert code == 1
    assert list(checks) == ["settings"]
    assert "concurrency" in checks["settings"]["detail"]
