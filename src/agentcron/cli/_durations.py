"""Spans of time as people type them on the command line: 90, 90s, 10m, 2h, 1.5d, 1w."""

from __future__ import annotations

import re

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")
_UNITS = {
    **dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
    **dict.fromkeys(("w", "week", "weeks"), 604_800),
}
FORMS = "seconds (90) or a span such as 30s, 10m, 2h or 1d"
"""What a span may look like, for help texts and refusals."""


def span_seconds(text: str) -> float | None:
    """The span in seconds, or None when ``text`` is not a span (a bare number is seconds)."""
    match = _SPAN.match(text.strip().lower())
    if match is None or match[2] not in _UNITS:
        return None
    return float(match[1]) * _UNITS[match[2]]


__all__ = ["FORMS", "span_seconds"]
