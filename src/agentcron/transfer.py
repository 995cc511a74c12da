"""Tasks as JSON lines, one task a line: what ``agentcron export`` writes and ``import`` reads.

A line is a ``NewTask`` in JSON, its idempotency key optional: ``title``, ``when`` (on export,
the normalized schedule; on import, any form ``add`` accepts), ``timezone``, ``action``,
``payload`` and every option of ``TaskOptions``. Reading checks only the shape of each line
(size, JSON, an object) and, as ``agentcron add`` does, makes a reminder's title its
message when it has none; the service checks what the tasks say, all of them at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from agentcron.errors import InvalidInputError
from agentcron.masking import mask_values
from agentcron.secrets import MASK, mask_value
from agentcron.service import MAX_PAYLOAD_BYTES, TaskOptions
from agentcron.views import TaskView

LINE_FIELDS = ("title", "when", "timezone", "action", "payload", *TaskOptions.model_fields)
"""A line's keys, in the order export writes them."""

MAX_LINE_BYTES = MAX_PAYLOAD_BYTES + 100_000
"""The largest payload the service accepts, with room for the rest of the task."""
MAX_LINES = 100_000
MAX_FILE_BYTES = 256 * 1024 * 1024

IDEMPOTENT_PREFIX = "import:"


def task_line(task: TaskView, *, include_secrets: bool = False) -> dict[str, Any]:
    """The task as a line: what makes the same task again (its schedule normalized, so it
    fires at the same instants). Secrets in its payload are masked unless included."""
    values = {name: getattr(task, name) for name in LINE_FIELDS if name != "when"}
    values["when"] = task.schedule
    if not include_secrets:
        values["payload"] = masked_payload(task.payload)
    for name in ("starts_at", "ends_at"):
        values[name] = values[name].isoformat() if values[name] is not None else None
    return {name: values[name] for name in LINE_FIELDS}


def masked_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Secret-looking values masked, and every value of a program's ``env`` (any of them may
    be a credential: no name gives it away)."""
    masked: dict[str, Any] = mask_value(payload)
    if isinstance(payload.get("env"), dict):
        masked["env"] = mask_values(payload["env"])
    return masked


def dump_line(line: dict[str, Any]) -> str:
    """One line of JSON, ending with a newline."""
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"


def content_key(request: dict[str, Any]) -> str:
    """An idempotency key from what the line says (key order and spacing aside): the same
    line imported twice makes one task."""
    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return IDEMPOTENT_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Lines:
    """What a file of lines holds: each well-formed line's request and its number (from 1),
    and the lines refused, by number, with the reason."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    masked: int = 0
    """Lines holding a masked secret (``****``): exported without --include-secrets."""


def read_lines(stream: IO[bytes], *, idempotent: bool = False) -> Lines:
    """Every line of ``stream`` (blank lines skipped); ``idempotent`` gives each request
    without a key of its own the key of its content.

    Raises InvalidInputError when the file has more than MAX_LINES lines or MAX_FILE_BYTES
    bytes; a line longer than MAX_LINE_BYTES is refused as that line."""
    lines = Lines()
    total = 0
    for number, raw in enumerate(_raw_lines(stream), start=1):
        if number > MAX_LINES:
            raise InvalidInputError(
                f"The file has more than {MAX_LINES:,} lines; import it in parts."
            )
        total += raw.size
        if total > MAX_FILE_BYTES:
            raise InvalidInputError(
                f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB; import it in parts."
            )
        if raw.text is None:
            lines.refused.append((number, raw.problem))
            continue
        if not raw.text.strip():
            continue
        try:
            request = _request(raw.text)
        except ValueError as error:
            lines.refused.append((number, str(error)))
            continue
        if request.get("action", "reminder") == "reminder" and isinstance(
            request.get("title"), str
        ):
            payload = request.setdefault("payload", {})
            if isinstance(payload, dict) and "message" not in payload:
                payload["message"] = request["title"]  # as 'agentcron add' does
        if idempotent and "idempotency_key" not in request:
            request["idempotency_key"] = content_key(request)
        lines.masked += MASK in raw.text
        lines.requests.append(request)
        lines.numbers.append(number)
    return lines


@dataclass(frozen=True)
class _Raw:
    size: int
    text: str | None
    problem: str = ""


def _raw_lines(stream: IO[bytes]) -> Iterator[_Raw]:
    """The stream's lines, decoded; one too long is skipped to its end, never held whole."""
    while chunk := stream.readline(MAX_LINE_BYTES + 1):
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            size = len(chunk)
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                size += len(rest)
            size += len(rest)
            yield _Raw(
                size,
                None,
                f"the line is {size:,} bytes long; at most {MAX_LINE_BYTES:,} are allowed.",
            )
            continue
        try:
            yield _Raw(len(chunk), chunk.decode("utf-8"))
        except UnicodeDecodeError as error:
            yield _Raw(len(chunk), None, f"not UTF-8 text (byte {error.start + 1}).")


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "true or false", type(None): "null"}  # fmt: skip


def _request(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error.msg} at character {error.pos + 1}.") from None
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), "a value")
        raise ValueError(f"a line is one JSON object (a task), not {kind}.")
    return value


__all__ = [
    "LINE_FIELDS",
    "MAX_FILE_BYTES",
    "MAX_LINES",
    "MAX_LINE_BYTES",
    "Lines",
    "content_key",
    "dump_line",
    "masked_payload",
    "read_lines",
    "task_line",
]
