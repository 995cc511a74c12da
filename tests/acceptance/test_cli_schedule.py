"""``agentcron schedule parse`` run as a person runs it: a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-11-22T10:07:31+00:00"


def agentcron(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command run as a person runs it (in ``cwd``, where it looks for agentcron.toml)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    environment |= {"COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "agentcron", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=environment,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_json_output_is_exactly_one_object() -> None:
    result = agentcron(
        "schedule", "parse", "every weekday at 8:30", "--tz", "Europe/Paris", "--now", NOW,
        "--count", "3", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {
        "kind": "rrule",
        "normalized": "DTSTART;TZID=Europe/Paris:20261123T083000 "
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=30",
        "timezone": "Europe/Paris",
        "description": "every weekday at 08:30 (Europe/Paris)",
        "next": [
            "2026-11-23T08:30:00+01:00",
            "2026-11-24T08:30:00+01:00",
            "2026-11-25T08:30:00+01:00",
        ],
    }


def test_json_lists_fewer_occurrences_when_the_schedule_ends() -> None:
    result = agentcron(
        "schedule", "parse", "tomorrow at 9am", "--tz", "Asia/Kolkata", "--now", NOW, "--json",
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert payload["kind"] == "once"
    assert payload["next"] == ["2026-11-23T09:00:00+05:30"]


def test_human_output_shows_kind_form_description_and_occurrences() -> None:
    result = agentcron(
        "schedule", "parse", "0 9 * * mon", "--tz", "America/New_York", "--now", NOW, "-n", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for expected in (
        "cron",
        "0 9 * * mon",
        "every Monday at 09:00 (America/New_York)",
        "Mon 2026-11-23 09:00:00 -0500",
        "Mon 2026-11-30 09:00:00 -0500",
    ):
        assert expected in result.stdout


def test_zone_defaults_to_the_configured_one() -> None:
    result = agentcron(
        "schedule", "parse", "tomorrow at 9am", "--now", NOW, "--json",
        env={"AGENTCRON_TIMEZONE": "Asia/Kolkata"},
    )  # fmt: skip
    assert json.loads(result.stdout)["timezone"] == "Asia/Kolkata"


def test_naive_now_is_read_in_the_zone() -> None:
    result = agentcron(
        "schedule", "parse", "in 1 hour", "--tz", "Europe/Paris", "--now", "2026-11-22T10:00",
        "--json",
    )  # fmt: skip
    assert json.loads(result.stdout)["next"] == ["2026-11-22T11:00:00+01:00"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["banana split"], "Could not understand 'banana split'"),
        (["tomorrow at 9am", "--tz", "Europe/Pariss"], "Did you mean 'Europe/Paris'"),
        (["2020-01-01 10:00"], "is in the past"),
        (["every 0 minutes"], "at least one second"),
        (["61 * * * *"], "out of range"),
        (["tomorrow at 9am", "--now", "someday"], "--now 'someday'"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(args: list[str], fragment: str) -> None:
    result = (
        agentcron("schedule", "parse", *args, "--now", NOW)
        if "--now" not in args
        else (agentcron("schedule", "parse", *args))
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_reported_not_raised() -> None:
    result = agentcron(
        "schedule", "parse", "tomorrow at 9am", "--now", NOW, env={"AGENTCRON_TIMEZONE": "Nowhere"}
    )
    assert result.returncode == 78  # the operator's configuration
    assert "timezone: Unknown time zone 'Nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = agentcron("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("agentcron ")
