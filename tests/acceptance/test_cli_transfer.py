"""``agentcron export`` and ``import`` as a person runs them: tasks carried from one store to
another as JSON lines, all or nothing, secrets masked unless asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_cli_tasks import tasks_in_store

# A module-wide source store, made once: the whole file in one process under `pytest -n`.
pytestmark = pytest.mark.xdist_group("cli-transfer")

TOKEN = "sekret-token-4711"
PASSWORD = "hunter2pw"
HOOK = {
    "url": f"https://ops:{PASSWORD}@hooks.example.com/in?token={TOKEN}",
    "headers": {"Authorization": f"Bearer {TOKEN}"},
}


def store(tmp_path: Path, name: str) -> dict[str, str]:
    home = tmp_path / name
    home.mkdir()
    return {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "Europe/Paris"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store with tasks of every kind of schedule, one paused, one cancelled (made once:
    the tests only read it)."""
    env = store(tmp_path_factory.mktemp("transfer"), "source")
    for args in (
        ("Plants", "--when", "every monday at 9", "--jitter", "30", "--max-attempts", "5"),
        ("Stretch", "--when", "every 2 hours", "--misfire", "skip"),
        ("Backup", "--when", "0 3 * * *", "--tz", "America/New_York", "--overlap", "skip"),
        ("Dentist", "--when", "in 3 days", "--notify-when", "never", "--urgent"),
        ("Hook", "--when", "every day at 7", "--action", "http", "--payload", json.dumps(HOOK)),
        ("Paused", "--when", "every friday at 17:00"),
        ("Gone", "--when", "every day at 6"),
    ):
        made = agentcron("add", *args, env=env)
        assert made.returncode == 0, made.stderr
    assert agentcron("pause", "6", env=env).returncode == 0
    assert agentcron("cancel", "7", env=env).returncode == 0
    return env


def defining(task: dict[str, object]) -> dict[str, object]:
    """What export and import carry, and the next run that follows from it."""
    kept = ("title", "schedule", "timezone", "action", "payload", "next_run_at", "misfire_policy",
            "misfire_grace_seconds", "overlap_policy", "jitter_seconds", "max_attempts",
            "backoff_seconds", "timeout_seconds", "notify", "notify_policy", "urgent",
            "starts_at", "ends_at", "max_runs")  # fmt: skip
    return {name: task[name] for name in kept}


def test_export_then_import_into_a_fresh_store_makes_the_same_tasks(
    source: dict[str, str], tmp_path: Path
) -> None:
    exported = agentcron("export", "--include-secrets", str(tmp_path / "tasks.jsonl"), env=source)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"Exported 6 tasks to {tmp_path / 'tasks.jsonl'}.\n"
    assert (tmp_path / "tasks.jsonl").stat().st_mode & 0o777 == 0o600
    fresh = store(tmp_path, "fresh")
    imported = agentcron("import", str(tmp_path / "tasks.jsonl"), env=fresh)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(
        f"Imported {tmp_path / 'tasks.jsonl'}: 6 tasks created, 0 already existed.\n"
    )
    before = sorted(
        (defining(t) for t in tasks_in_store(source) if t["status"] == "active"),
        key=lambda t: str(t["title"]),
    )
    after = [defining(t) for t in sorted(tasks_in_store(fresh), key=lambda t: str(t["title"]))]
    paused = next(t for t in after if t["title"] == "Paused")
    after.remove(paused)  # imported tasks are active: it fires from now on
    assert after == before
    assert len(after) == 5


def test_export_writes_the_lines_on_stdout_and_import_reads_them_from_stdin(
    source: dict[str, str], tmp_path: Path
) -> None:
    exported = agentcron("export", "--status", "paused", "-s", "cancelled", env=source)
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert sorted(line["title"] for line in lines) == ["Gone", "Paused"]
    assert list(lines[0]) == [
        "title", "when", "timezone", "action", "payload", "misfire_policy",
        "misfire_grace_seconds", "overlap_policy", "jitter_seconds", "max_attempts",
        "backoff_seconds", "timeout_seconds", "notify", "notify_policy", "urgent", "starts_at",
        "ends_at", "max_runs",
    ]  # fmt: skip
    fresh = store(tmp_path, "fresh")
    imported = agentcron("import", "-", env=fresh, stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Imported stdin: 2 tasks created, 0 already existed.\n")
    assert sorted(t["title"] for t in tasks_in_store(fresh)) == ["Gone", "Paused"]


def test_secrets_are_masked_unless_included(source: dict[str, str]) -> None:
    masked = agentcron("export", "--status", "active", env=source)
    assert masked.returncode == 0, masked.stderr
    assert TOKEN not in masked.stdout
    assert PASSWORD not in masked.stdout
    hook = next(json.loads(line) for line in masked.stdout.splitlines() if "Hook" in line)
    assert hook["payload"]["url"] == "https://ops:****@hooks.example.com/in?token=****"
    assert hook["payload"]["headers"] == {"Authorization": "****"}
    assert masked.stderr == (
        "warning: secrets in 1 task are masked (****); --include-secrets writes them as they are.\n"
    )
    shown = agentcron("export", "--include-secrets", env=source)
    assert shown.stderr == ""
    hook = next(json.loads(line) for line in shown.stdout.splitlines() if "Hook" in line)
    assert hook["payload"]["url"] == HOOK["url"]
    assert hook["payload"]["headers"] == HOOK["headers"]


def test_a_refused_line_refuses_the_whole_file_naming_every_bad_line(tmp_path: Path) -> None:
    env = store(tmp_path, "home")
    good = json.dumps({"title": "Fine", "when": "every day at 9"})
    lines = [
        good,
        "not json",
        "",
        json.dumps({"title": "Never", "when": "someday maybe"}),
        good,
        json.dumps(["a", "list"]),
        json.dumps({"title": "Odd", "when": "0 9 * * *", "colour": "blue"}),
        json.dumps({"title": "Where", "when": "tomorrow at 9", "timezone": "Mars/Base"}),
    ]
    refused = agentcron("import", "-", env=env, stdin="\n".join(lines) + "\n")
    assert refused.returncode == 2
    assert refused.stdout == ""
    said = refused.stderr.splitlines()
    assert [line.split(":", 2)[1] for line in said[:-1]] == [
        " line 2", " line 4", " line 6", " line 7", " line 8"
    ]  # fmt: skip
    assert said[0] == "error: line 2: not JSON: Expecting value at character 1."
    assert "Could not understand 'someday maybe'" in said[1]
    assert said[2] == "error: line 6: a line is one JSON object (a task), not an array."
    assert "colour: Extra inputs are not permitted" in said[3]
    assert "Unknown time zone 'Mars/Base'" in said[4]
    assert said[-1] == "error: 5 of 7 lines are refused, so nothing was imported."
    assert tasks_in_store(env) == []
    one = agentcron("import", "-", env=env, stdin=f"{good}\n{lines[3]}\n")
    assert one.returncode == 2
    assert one.stderr.splitlines()[-1] == "error: 1 of 2 lines is refused, so nothing was imported."
    assert one.stderr.startswith("error: line 2: Could not understand 'someday maybe'")
    assert tasks_in_store(env) == []


def test_oversized_input_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    env = store(tmp_path, "home")
    huge = json.dumps(
        {"title": "Big", "when": "in 1 hour", "payload": {"message": "x" * 1_200_000}}
    )
    refused = agentcron("import", "-", env=env, stdin=huge + "\n")
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "error: line 1: the line is 1,200,066 bytes long; at most 1,100,000 are allowed.\n"
    )
    many = agentcron("import", "-", env=env, stdin="\n" * 100_001)
    assert many.returncode == 2
    assert many.stderr == "error: The file has more than 100,000 lines; import it in parts.\n"
    missing = agentcron("import", str(tmp_path / "nowhere.jsonl"), env=env)
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: Cannot read {tmp_path / 'nowhere.jsonl'}: ")
    assert tasks_in_store(env) == []


def test_idempotent_import_twice_creates_nothing_new(
    source: dict[str, str], tmp_path: Path
) -> None:
    lines = agentcron("export", env=source).stdout
    fresh = store(tmp_path, "fresh")
    extra = json.dumps({"title": "Written by hand", "when": "in 2 hours"}) + "\n"
    first = agentcron("import", "--idempotent", "-", env=fresh, stdin=lines + extra)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Imported stdin: 7 tasks created, 0 already existed.\n")
    assert "4 lines hold masked secrets" not in first.stderr
    assert first.stderr.startswith("warning: 1 line holds masked secrets (****)")
    again = agentcron("import", "--idempotent", "-", env=fresh, stdin=lines + extra)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "Imported stdin: 0 tasks created, 7 already existed.\n"
    assert len(tasks_in_store(fresh)) == 7
    plain = agentcron("import", "-", env=fresh, stdin=extra)
    assert plain.stdout.startswith("Imported stdin: 1 task created, 0 already existed.\n")
    assert len(tasks_in_store(fresh)) == 8
