"""``{previous.output}`` and its kin: what a task that runs after another may put in its
payload, filled in from the run it follows when its own run starts.

Only names under ``previous.`` are placeholders, so braces a payload already had (a JSON
snippet in a message, ``{name}``) stay as they are; ``{{`` and ``}}`` write a brace. Filling
in is one pass of plain substitution: the value is data, never read again as a template,
and each action escapes it for where it goes (``http`` percent-encodes nothing, since
placeholders are refused in its URL, and sends JSON bodies serialized).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from agentcron.domain import PreviousRun
from agentcron.errors import InvalidInputError

PREFIX = "previous."
NAMES = ("previous.output", "previous.scheduled_for", "previous.status", "previous.run_id")
_TOKEN = re.compile(r"\{\{|\}\}|\{(previous\.[^{}\s]*)\}")


def used(payload: Any) -> set[str]:
    """The placeholders the payload's strings name (known or not)."""
    return {name for text in _strings(payload) for name in _names(text)}


def check(payload: dict[str, Any], *, follows: bool) -> None:
    """Refuse, at creation, a placeholder that names nothing, or one in a task that follows
    no other (it would have nothing to fill it with)."""
    named = used(payload)
    unknown = sorted(named - set(NAMES))
    if unknown:
        raise InvalidInputError(
            f"Unknown placeholder {', '.join('{' + name + '}' for name in unknown)} in the "
            f"payload; a task that runs after another may use "
            f"{', '.join('{' + name + '}' for name in NAMES)} (write {{{{ for a brace)."
        )
    if named and not follows:
        raise InvalidInputError(
            f"{{{sorted(named)[0]}}} is filled in from the run a task follows, and this task "
            "runs on a clock: give it --after ID (or 'after task ID' as its schedule)."
        )


def render(text: str, previous: PreviousRun | None) -> str:
    """``text`` with its placeholders filled in (empty without a previous run)."""
    values = _values(previous)

    def replaced(found: re.Match[str]) -> str:
        token = found.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(found.group(1), token)

    return _TOKEN.sub(replaced, text)


def render_all(value: Any, previous: PreviousRun | None) -> Any:
    """Every string in ``value`` (a payload, its lists and objects) rendered."""
    return _map_strings(value, lambda text: render(text, previous))


def _values(previous: PreviousRun | None) -> dict[str, str]:
    if previous is None:
        return dict.fromkeys(NAMES, "")
    return {
        "previous.output": previous.output or "",
        "previous.scheduled_for": previous.scheduled_for.isoformat(),
        "previous.status": previous.status,
        "previous.run_id": str(previous.run_id),
    }


def _names(text: str) -> Iterator[str]:
    for found in _TOKEN.finditer(text):
        if found.group(1) is not None:
            yield found.group(1)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value
