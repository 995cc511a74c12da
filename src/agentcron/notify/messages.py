"""What a person is told about a finished run: a title and a Markdown body, then fitted to
the channel it goes to (Markdown kept where it renders, flattened elsewhere, SMS cut short).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from agentcron.abc import Message
from agentcron.plurals import plural
from agentcron.secrets import mask_text

SMS_SEGMENT = 153
"""Characters of one part of a long SMS (160 less the header that joins the parts)."""
SMS_LIMIT = 160
"""A channel that takes at most this many characters is a text message."""

_GAVE_UP = re.compile(r"^gave up after (\d+) attempts?: ")


@lru_cache(maxsize=1024)  # a burst's runs share their instant: written out once
def when_in(instant: datetime, zone: str) -> str:
    """An instant as the person reads it: 'Tue 1 Dec 2026, 18:00 (Europe/Paris)'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone})"


def succeeded(title: str, output: str | None, scheduled_for: datetime, zone: str) -> Message:
    """A run that did its work: what it says, and when it was for."""
    said = (output or "").strip() or f"{title}: done."
    return Message(title, f"{said}\n\n_{when_in(scheduled_for, zone)}_")


def failed(
    title: str, error: str | None, scheduled_for: datetime, zone: str, *, task_id: int, run_id: int
) -> Message:
    """A run that failed for good: which task, and why, in a person's words."""
    body = (
        f"Your task **{title}** (task {task_id}) could not be done: {readable_error(error)}\n\n"
        f"_{when_in(scheduled_for, zone)}; `agentcron run-show {run_id}` has the details._"
    )
    return Message(f"Failed: {title}", body)


def readable_error(error: str | None) -> str:
    """A run's error as a sentence: its attempts said in words, secrets masked."""
    text = mask_text((error or "no reason was recorded").strip())
    tries = ""
    match = _GAVE_UP.match(text)
    if match is not None:
        tries = f" (tried {plural(int(match[1]), 'time')})"
        text = text[match.end() :]
    text = text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
    return f"{text.rstrip('.')}{tries}."


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
"""Emphasis marks; underscores only at word edges (snake_case_names are no emphasis)."""
_CODE = re.compile(r"`([^`]+)`")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[*+]\s+", re.MULTILINE)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_FENCE = re.compile(r"^\s*```[^\n]*\n?", re.MULTILINE)


def flatten_markdown(text: str) -> str:
    """Markdown as plain text for channels that show it raw: links become 'text (url)',
    emphasis, code marks, headings and quotes lose their marks, bullets become '-'."""
    text = _FENCE.sub("", text)
    text = _LINK.sub(lambda m: m[1] if m[1] == m[2] else f"{m[1]} ({m[2]})", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(2):  # **_nested_** emphasis
        text = _EMPHASIS.sub(lambda m: m[2] if m[2] is not None else m[4], text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    return _BULLET.sub(r"\1- ", text)


def fit_sms(text: str, segments: int, rest: str) -> str:
    """``text`` cut to ``segments`` parts of an SMS; a cut ends with '…' and says where the
    rest is (``rest``)."""
    limit = SMS_LIMIT if segments == 1 else SMS_SEGMENT * segments
    if len(text) <= limit:
        return text
    tail = f"… (cut; {rest})"
    keep = text[: max(0, limit - len(tail))].rstrip()
    return keep + tail
