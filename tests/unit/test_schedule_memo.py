"""ScheduleMemo answers as ``parse`` and the schedule itself would, computing each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentcron.schedule_memo import ScheduleMemo
from agentcron.schedules import ScheduleError, parse

NOW = datetime(2026, 11, 22, 10, 7, 31, tzinfo=UTC)
PARIS = "Europe/Paris"
TEXTS = ("every weekday at 8:30", "0 9 * * 1-5", "every 2 hours", "in 3 days", "tomorrow at 9am")


@pytest.mark.parametrize("text", TEXTS)
def test_answers_are_parse_s_and_the_schedule_s(text: str) -> None:
    memo = ScheduleMemo()
    schedule = memo.parse(text, PARIS, NOW)
    fresh = parse(text, PARIS, NOW)
    assert (schedule.normalized, schedule.timezone) == (fresh.normalized, fresh.timezone)
    for after in (NOW, NOW + timedelta(days=40)):
        assert memo.next_after(schedule, after) == fresh.next_after(after)
    assert memo.preview(schedule, 4, NOW) == fresh.preview(4, NOW)


def test_the_same_text_zone_and_now_share_one_schedule() -> None:
    memo = ScheduleMemo()
    first = memo.parse("every weekday at 8:30", PARIS, NOW)
    assert memo.parse("every weekday at 8:30", PARIS, NOW) is first
    assert memo.parse("every weekday at 8:30", "Asia/Tokyo", NOW) is not first
    later = NOW + timedelta(hours=1)
    assert memo.next_after(memo.parse("in 1 hour", PARIS, later), later) == NOW + timedelta(hours=2)
    assert memo.next_after(memo.parse("in 1 hour", PARIS, NOW), NOW) == NOW + timedelta(hours=1)


def test_a_refused_text_is_refused_every_time() -> None:
    memo = ScheduleMemo()
    for _ in range(2):
        with pytest.raises(ScheduleError, match="someday maybe"):
            memo.parse("someday maybe", PARIS, NOW)


def test_a_preview_given_out_cannot_change_the_next_one() -> None:
    memo = ScheduleMemo()
    schedule = memo.parse("every 2 hours", PARIS, NOW)
    memo.preview(schedule, 3, NOW).clear()
    assert len(memo.preview(schedule, 3, NOW)) == 3


def test_schedules_parsed_elsewhere_are_answered_for_themselves() -> None:
    """Answers are kept beside their schedule: another schedule never gets them, even one
    that happens to live where an earlier one did."""
    memo = ScheduleMemo()
    for text in TEXTS * 3:
        schedule = parse(text, PARIS, NOW)  # not the memo's: dropped after each turn
        assert memo.next_after(schedule, NOW) == schedule.next_after(NOW)
