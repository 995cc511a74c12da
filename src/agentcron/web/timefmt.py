"""Instants and spans as the page shows them: relative for a glance ("in 3 h"), absolute in
the person's zone for certainty ("Tue 8 Dec, 18:00 CET")."""

from __future__ import annotations

from datetime import datetime

from agentcron.schedules import get_zone

_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"))


def relative(at: datetime, now: datetime) -> str:
    """'in 3 h', '5 min ago', 'now' (within a minute): the largest unit, rounded down."""
    seconds = (at - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "now"
    for size, unit in _UNITS:
        if span >= size:
            amount = f"{int(span // size)} {unit}"
            break
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def local(at: datetime, zone: str) -> str:
    """'Tue 8 Dec, 18:00 CET' in ``zone`` (with the year when it is not this one)."""
    there = at.astimezone(get_zone(zone))
    year = "" if there.year == datetime.now(there.tzinfo).year else f" {there.year}"
    return f"{there:%a} {there.day} {there:%b}{year}, {there:%H:%M} {there.tzname() or zone}"


def clock(at: datetime, zone: str) -> str:
    """'18:00:04' in ``zone``: for instants of one run, shown beside its day."""
    return f"{at.astimezone(get_zone(zone)):%H:%M:%S}"


def span(seconds: float | None) -> str:
    """'0.4 s', '12 s', '3 min 5 s', '2 h 10 min'; '' when not known."""
    if seconds is None:
        return ""
    if abs(seconds) < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    minutes, secs = divmod(abs(whole), 60)
    hours, minutes = divmod(minutes, 60)
    sign = "-" if whole < 0 else ""
    if hours:
        return f"{sign}{hours} h {minutes} min"
    if minutes:
        return f"{sign}{minutes} min {secs} s"
    return f"{sign}{secs} s"
