"""Spans of time in English: 'in 5 minutes', 'in an hour and a half', 'in 2h15m', 'in 2 days'.

'a couple of' is 2 and 'a few' is 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from agentcron.errors import ScheduleError
from agentcron.schedules.natural._lexicon import NUMBER, number_value

_UNIT = (
    r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w"
    r"|fortnights?)"
)
_AMOUNT = (
    rf"(?:(?P<amount>\d+(?:\.\d+)?)\s*|(?P<word>{NUMBER}|half\s+an?|half|a\s+half"
    r"|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few)\s+)"
)
_PART = re.compile(
    rf"(?<![\w.]){_AMOUNT}(?P<half1>and\s+a\s+half\s+)?{_UNIT}(?![a-z])"
    r"(?P<half>\s+and\s+a\s+half)?"
)
_GLUED = re.compile(r"(?<=[a-z])(?=\d)")
_JOINER = re.compile(r"^(?:\s*(?:,|and)\s*|\s*)$")
_IN = re.compile(r"^(?:in|after)\s+(?P<span>.+)$|^(?P<span2>.+?)\s+from\s+now$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "f": 1_209_600}


@dataclass(frozen=True)
class Span:
    """A span split into calendar days (wall clock) and elapsed time."""

    days: int
    elapsed: timedelta


def parse_in_span(core: str) -> Span | None:
    """The span of 'in ...' / '... from now', or None when ``core`` is not such a phrase."""
    match = _IN.match(core)
    if not match:
        return None
    text = _GLUED.sub(" ", match["span"] or match["span2"])  # '2h15m' -> '2h 15m'
    days, elapsed, position = 0, timedelta(0), 0
    for part in _PART.finditer(text):
        if not _JOINER.match(text[position : part.start()]):
            return None
        position = part.end()
        size = _SECONDS[part["unit"][0]]
        half = part["half"] or part["half1"]
        amount = _amount(part["amount"] or part["word"]) + (0.5 if half else 0)
        if size >= 86_400:
            if amount != int(amount):
                raise ScheduleError(f"'{text}': give days and weeks as whole numbers.")
            days += int(amount) * size // 86_400
        else:
            elapsed += timedelta(seconds=amount * size)
    if position == 0 or text[position:].strip():
        return None
    if days == 0 and elapsed <= timedelta(0):
        raise ScheduleError(f"'{core}' is not in the future.")
    return Span(days, elapsed)


def _amount(word: str) -> float:
    if word.startswith(("half", "a half")):
        return 0.5
    if "couple" in word:
        return 2
    if word == "a few":
        return 3
    if "." in word:
        return float(word)
    return number_value(word)
