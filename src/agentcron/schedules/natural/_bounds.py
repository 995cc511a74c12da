"""The bounds of a repeating phrase: 'until ...', 'for 10 days', '5 times', 'starting ...'.

A count or a span is read only where it closes a part of the phrase: at its end, before
a comma, or before another part ('at', 'on', 'until', 'starting'). Inside a part it is
not a bound, so 'every 3 times day' is refused rather than read as 'every day, 3 times'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from agentcron.errors import ScheduleError
from agentcron.schedules.natural._lexicon import NUMBER, number_value

_CLOSES = r"(?=\s*(?:,|$)|\s+(?:until|till|starting|beginning|from|at|@|on)\b)"
_UNTIL = re.compile(
    r"\s*\b(?:until|till|til|through|thru|up\s+to)\s+(?P<value>.+?)"
    r"(?=\s*,?\s+(?:for|starting|beginning)\b|$)"
)
_FOR = re.compile(
    rf"(?:^|,|\s)\s*for\s+(?:the\s+next\s+)?(?P<n>{NUMBER})\s+"
    rf"(?P<unit>minutes?|hours?|days?|weeks?|months?|years?){_CLOSES}"
)
_REST_OF = re.compile(
    rf"(?:^|,|\s)\s*for\s+the\s+rest\s+of\s+the\s+(?P<unit>week|month|year){_CLOSES}"
)
_COUNT = re.compile(
    rf"(?:^|,|\s)\s*(?:for\s+)?(?:a\s+total\s+of\s+)?(?P<n>{NUMBER})\s+"
    rf"(?:times|occurrences|runs)(?:\s+in\s+total)?{_CLOSES}"
)
_STARTING = re.compile(
    r"\s*\b(?:starting|beginning|from|as\s+of)(?:\s+(?:on|at))?\s+(?!now\b)(?P<value>.+?)"
    r"(?=\s*,?\s+(?:until|till|for)\b|$)"
)


@dataclass(frozen=True)
class Bounds:
    """What limits a repeating schedule, as read from the phrase."""

    until: str | None = None
    span: relativedelta | None = None
    span_text: str | None = None
    count: int | None = None
    start: str | None = None

    def any(self) -> bool:
        return any((self.until, self.span, self.count, self.start))


def take_bounds(phrase: str) -> tuple[Bounds, str]:
    """Read the bounds out of ``phrase``; return them and what is left of it."""
    count_match, phrase = _take(_COUNT, phrase)
    rest_of, phrase = _take(_REST_OF, phrase)
    until_match, phrase = _take(_UNTIL, phrase)
    for_match, phrase = _take(_FOR, phrase)
    start_match, phrase = _take(_STARTING, phrase)
    until = _value(until_match)
    if rest_of is not None:
        if until is not None:
            raise ScheduleError("Give one end: 'until ...' or 'for the rest of ...'.")
        until = f"the end of the {rest_of['unit']}"
    span = None
    if for_match is not None:
        amount = number_value(for_match["n"])
        unit = for_match["unit"].rstrip("s") + "s"
        span = relativedelta(**{unit: amount})  # type: ignore[arg-type]
    count = number_value(count_match["n"]) if count_match else None
    if count is not None and count < 1:
        raise ScheduleError("A schedule runs at least once: give a count of 1 or more.")
    if sum(x is not None for x in (until, span, count)) > 1:
        raise ScheduleError("Give one end: 'until ...', 'for ...' or '... times', not several.")
    bounds = Bounds(
        until=until,
        span=span,
        span_text=for_match.group(0).strip(" ,") if for_match else None,
        count=count,
        start=_value(start_match),
    )
    return bounds, phrase


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    match = pattern.search(text)
    if not match:
        return None, text
    rest = text[: match.start()] + " " + text[match.end() :]
    return match, " ".join(rest.split()).strip(" ,")


def _value(match: re.Match[str] | None) -> str | None:
    return match["value"].strip(" ,") if match else None
