"""The injectable clock and the settings object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from agentcron.clock import SystemClock, ensure_utc
from agentcron.config import Settings, default_timezone, load_settings, machine_timezone
from agentcron.errors import AgentCronError, ConfigurationError, ScheduleError, UserError
from agentcron.testing import FakeClock

START = datetime(2026, 11, 22, 10, tzinfo=UTC)


def test_fake_clock_moves_only_forward_when_told() -> None:
    clock = FakeClock(START)
    assert clock.now() == START
    assert clock.advance(timedelta(minutes=5)) == START + timedelta(minutes=5)
    clock.set(datetime(2026, 11, 22, 12, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == datetime(2026, 11, 22, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_ensure_utc_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        ensure_utc(datetime(2026, 11, 22, 10))


def test_settings_read_toml_and_env_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTCRON_TIMEZONE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agentcron.toml").write_text('timezone = "Asia/Kolkata"\n', encoding="utf-8")
    assert load_settings().timezone == "Asia/Kolkata"
    monkeypatch.setenv("AGENTCRON_TIMEZONE", "america/new_york")
    assert load_settings().timezone == "America/New_York"


def test_bad_settings_become_one_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTCRON_TIMEZONE", "Europe/Pariss")
    with pytest.raises(ConfigurationError, match="timezone: Unknown time zone 'Europe/Pariss'"):
        load_settings()


def test_default_zone_falls_back_to_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTCRON_TIMEZONE", raising=False)
    assert default_timezone(Settings(timezone=None)) == machine_timezone()
    assert default_timezone(Settings(timezone="Europe/Paris")) == "Europe/Paris"


def test_error_tree_has_one_root_and_stable_codes() -> None:
    assert issubclass(ScheduleError, UserError)
    assert issubclass(UserError, AgentCronError)
    assert issubclass(ConfigurationError, AgentCronError)
    assert not issubclass(ConfigurationError, UserError)
    assert ScheduleError("x").code == "invalid_schedule"
    assert (
        ScheduleError().message
        == "The schedule could not be understood or has no future occurrence."
    )
