"""Counting in words: every message that counts something says '1 attempt', '2 attempts'."""

from __future__ import annotations

from datetime import timedelta


def plural(count: float, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural (``many``, else ``word`` + 's') unless it is 1.

    Integers get thousands separators ('1,000 characters'); other numbers as short as they
    go ('1.5 minutes').
    """
    number = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{number} {word if count == 1 else many or word + 's'}"


def rough_span(delta: timedelta) -> str:
    """A span of time as a person says it, in its largest whole unit: '45 s', '12 min', '3 h',
    '2 days'."""
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7_200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"


__all__ = ["plural", "rough_span"]
