"""``parse``: any text a person or a model may give for "when", turned into a Schedule."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.schedules._base import Schedule
from agentcron.schedules._zones import get_zone, zone_name
from agentcron.schedules.after import looks_like_after, parse_after
from agentcron.schedules.cron import Cron, looks_like_cron
from agentcron.schedules.iso import (
    instant_of,
    looks_like_duration,
    looks_like_instant,
    looks_like_repeating,
    parse_duration_schedule,
    parse_instant,
    parse_repeating,
)
from agentcron.schedules.once import Once
from agentcron.schedules.rrule import parse_rrule

MAX_LENGTH = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RRULE = re.compile(r"^\s*(?:DTSTART|RRULE:|FREQ=)", re.IGNORECASE)
_ONE_OFF_EXAMPLES = ("tomorrow at 9am", "in 2 hours", "friday at 6pm", "december 24 at 8pm")
_RECURRING_EXAMPLES = (
    "every weekday at 8:30",
    "every monday at 9am",
    "every day at 18:30",
    "on the 1st of every month at 9am",
)
_RECURRING_HINT = re.compile(r"\b(every|each|daily|weekly|monthly|yearly|hourly|until)\b", re.I)


def _parse_natural(text: str, tz: str, now: datetime) -> Schedule:
    """The English grammar, imported on first use: compiling its patterns takes a tenth of a
    second, which reading stored schedules (``parse_normalized``) never needs."""
    from agentcron.schedules.natural import parse_natural  # noqa: PLC0415

    return parse_natural(text, tz, now)


def parse(text: str, tz: str, now: datetime) -> Schedule:
    """Parse ``text`` as a schedule in the IANA zone ``tz``, relative to the instant ``now``.

    Accepts ISO 8601 instants, durations (``PT15M``) and repeating intervals
    (``R/<start>/PT15M``), cron, RFC 5545 RRULE and English phrases. Raises
    ScheduleError, with two working examples, for anything else and for
    schedules that never fire after ``now``.
    """
    now = ensure_utc(now)
    tz = zone_name(get_zone(tz))
    stripped = text.strip()
    if not stripped:
        raise ScheduleError(_with_examples("The schedule is empty.", stripped))
    if len(stripped) > MAX_LENGTH:
        raise ScheduleError(
            f"The schedule is {len(stripped)} characters long; at most {MAX_LENGTH}."
        )
    if looks_like_after(stripped):  # no instant of its own: made by the runs it follows
        return parse_after(stripped, tz)
    try:
        schedule = _parse_form(stripped, tz, now)
    except ScheduleError as error:
        raise ScheduleError(_with_examples(error.message, stripped)) from None
    if schedule.next_after(now) is None:
        raise ScheduleError(_with_examples(f"'{stripped}' has no occurrence after now.", stripped))
    return schedule


def _parse_form(text: str, tz: str, now: datetime) -> Schedule:
    if looks_like_repeating(text):
        return parse_repeating(text, tz)
    if looks_like_duration(text):
        return parse_duration_schedule(text, tz, now)
    if _RRULE.match(text):
        return parse_rrule(text, tz, now)
    if looks_like_cron(text):
        return Cron.from_text(text, tz)
    if looks_like_instant(text):
        return parse_instant(text, tz, now)
    return _parse_natural(text, tz, now)


@functools.lru_cache(maxsize=4096)
def parse_normalized(text: str, tz: str) -> Schedule:
    """A stored schedule back from its normalized text, whether or not it is still ahead.

    Schedules are immutable, so the result is cached: the scheduler reads the same
    few schedules over and over.
    """
    if looks_like_repeating(text):
        return parse_repeating(text, tz)
    if looks_like_after(text):
        return parse_after(text, tz)
    if _RRULE.match(text):
        return parse_rrule(text, tz, _EPOCH)  # a normalized rule always has its DTSTART
    if looks_like_cron(text):
        return Cron.from_text(text, tz)
    if looks_like_instant(text):
        return Once(instant_of(text, tz), tz)
    raise ScheduleError(f"'{text}' is not a normalized schedule.")


@functools.lru_cache(maxsize=4096)
def describe_normalized(text: str, tz: str) -> str:
    """A stored schedule in words, with its zone. Cached as ``parse_normalized`` is: a page
    of tasks describes the same few schedules again and again."""
    return parse_normalized(text, tz).describe()


def _with_examples(message: str, text: str) -> str:
    """Append two working examples of the kind the person seemed to want, not yet quoted."""
    examples = _RECURRING_EXAMPLES if _RECURRING_HINT.search(text) else _ONE_OFF_EXAMPLES
    first, second = [e for e in examples if f"'{e}'" not in message][:2]
    return f"{message} Try for example '{first}' or '{second}'."
