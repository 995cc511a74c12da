"""The options ``add`` and ``edit`` share: declared once here, read into one ``TaskFlags``,
and turned into the service's fields (the service checks them; this only reads them)."""

from __future__ import annotations

import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from agentcron.cli._durations import FORMS, span_seconds
from agentcron.errors import InvalidInputError, UserError

GRACE_MEANING = (
    "how late an occurrence may still run as usual (agentcron was not running, or busy); "
    "one missed by more follows the misfire policy"
)
"""The misfire grace period in one sentence: said by ``show`` and by ``--grace``'s help."""


def _option(*names: str, help: str) -> Any:
    return typer.Option(*names, help=help, show_default=False)


@dataclass(frozen=True)
class TaskFlags:
    """Every option of a task as given on the command line (None: not given)."""

    when: Annotated[
        str | None, _option("--when", "-w", help="When: 'every weekday at 8:30', cron, RRULE, ISO.")
    ] = None
    after: Annotated[
        int | None,
        _option("--after", help="Run after each run of this task (by id) instead of --when."),
    ] = None
    after_when: Annotated[
        Literal["succeeded", "failed", "finished"] | None,
        _option(
            "--after-when",
            help="With --after: after its runs that succeeded (default), failed or finished.",
        ),
    ] = None
    tz: Annotated[
        str | None, _option("--tz", help="IANA zone (default: yours; edit keeps wall times).")
    ] = None
    title: Annotated[str | None, _option("--title", help="A short name for the task.")] = None
    action: Annotated[
        str | None,
        _option(
            "--action",
            help="reminder, http, shell, agent, mcp_tool or a plugin's ('agentcron actions ls').",
        ),
    ] = None
    message: Annotated[
        str | None,
        _option("--message", "-m", help="The reminder's message ('-': stdin, '@file')."),
    ] = None
    instructions: Annotated[
        str | None,
        _option("--instructions", help="What the agent should do ('-': stdin, '@file')."),
    ] = None
    payload: Annotated[
        str | None,
        _option("--payload", help="The action's payload as JSON ('-': stdin, '@file')."),
    ] = None
    model: Annotated[
        str | None,
        _option("--model", help="The agent's provider:model (default: AGENTCRON_MODEL)."),
    ] = None
    mcp: Annotated[
        list[str] | None,
        _option("--mcp", help="MCP tools the agent may use: 'server' or 'server:tool'."),
    ] = None
    misfire: Annotated[
        Literal["run_once", "skip", "run_all"] | None,
        _option(
            "--misfire",
            help="Occurrences missed past the grace: run_once (one catch-up run), skip or run_all.",
        ),
    ] = None
    grace: Annotated[
        str | None, _option("--grace", help=f"Misfire grace, {FORMS}: {GRACE_MEANING}.")
    ] = None
    overlap: Annotated[
        Literal["skip", "queue", "allow"] | None,
        _option("--overlap", help="While the previous run is still going: skip, queue or allow."),
    ] = None
    jitter: Annotated[
        str | None, _option("--jitter", help=f"Start each run up to this late at random: {FORMS}.")
    ] = None
    max_attempts: Annotated[
        int | None, _option("--max-attempts", help="Attempts per run (1: no retry).")
    ] = None
    backoff: Annotated[
        str | None,
        _option("--backoff", help=f"Wait before the first retry, doubling after: {FORMS}."),
    ] = None
    timeout: Annotated[str | None, _option("--timeout", help=f"Per attempt: {FORMS}.")] = None
    starts: Annotated[
        str | None,
        _option("--starts", help="No run before: '2026-12-24 18:00', 'tomorrow at 9am'."),
    ] = None
    ends: Annotated[
        str | None, _option("--ends", help="No run after this instant (as --starts).")
    ] = None
    max_runs: Annotated[
        int | None, _option("--max-runs", help="Stop after this many runs of the schedule.")
    ] = None
    notify: Annotated[
        list[str] | None,
        _option(
            "--notify",
            help="Channels its runs tell, comma-separated (replaces them); '' for your defaults.",
        ),
    ] = None
    notify_when: Annotated[
        Literal["always", "agent", "failure", "never"] | None,
        _option(
            "--notify-when",
            help="When runs tell you: always, agent (when the agent says so), failure or never; "
            "a run that fails for good is told under all but never (default: the action's).",
        ),
    ] = None
    urgent: Annotated[
        bool | None,
        _option("--urgent/--not-urgent", help="Tell you even in your quiet hours, or not."),
    ] = None

    def given(self) -> bool:
        """Whether any option was given at all (an edit needs one)."""
        return any(getattr(self, field.name) is not None for field in fields(self))

    def schedule(self, following: int | None = None, condition: str | None = None) -> str | None:
        """What the task runs on: --when, or --after as the schedule 'after task N ...'
        (``following`` and ``condition``: what an edited follower runs after now, which
        --after or --after-when alone keeps the other half of)."""
        if self.after is not None and self.when is not None:
            raise InvalidInputError(
                "Give --when (a clock) or --after (another task's runs), not both."
            )
        followed = self.after if self.after is not None else following
        if self.after_when is not None and followed is None:
            raise InvalidInputError("--after-when goes with --after ID (the task to run after).")
        if self.after is None and self.after_when is None:
            return self.when
        return f"after task {followed} {self.after_when or condition or 'succeeded'}"

    def agent(self) -> dict[str, Any]:
        """The agent's payload fields given as flags (--model, --mcp)."""
        return {
            key: value for key, value in {"model": self.model, "mcp": self.mcp}.items() if value
        }

    def payload_given(self) -> bool:
        """Whether any option gives the payload, or a part of it."""
        parts = (self.message, self.instructions, self.payload)
        return any(part is not None for part in parts) or bool(self.agent())

    def options(self, zone: str, now: datetime) -> dict[str, Any]:
        """How the task runs (``service.TaskOptions``), of the flags given; ``starts`` and
        ``ends`` without an offset are wall times in ``zone``."""
        values = {
            "misfire_policy": self.misfire,
            "misfire_grace_seconds": _span(self.grace, "--grace"),
            "overlap_policy": self.overlap,
            "jitter_seconds": _span(self.jitter, "--jitter"),
            "max_attempts": self.max_attempts,
            "backoff_seconds": _span(self.backoff, "--backoff"),
            "timeout_seconds": _span(self.timeout, "--timeout"),
            "starts_at": _instant(self.starts, "--starts", zone, now),
            "ends_at": _instant(self.ends, "--ends", zone, now),
            "max_runs": self.max_runs,
            "notify": _channel_names(self.notify),
            "notify_policy": self.notify_when,
            "urgent": self.urgent,
        }
        return {key: value for key, value in values.items() if value is not None}


def with_task_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` taking every ``TaskFlags`` option as well as its own parameters, and
    receiving them as one ``flags``: add and edit declare the options once, here."""
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in inspect.signature(command, eval_str=True).parameters.values()
        if parameter.name != "flags"
    ]
    resolved = typing.get_type_hints(TaskFlags, include_extras=True)  # Annotated kept
    hints = {field.name: resolved[field.name] for field in fields(TaskFlags)}
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, hint in hints.items()
    ]
    required = [parameter for parameter in own if parameter.default is inspect.Parameter.empty]
    optional = [parameter for parameter in own if parameter.default is not inspect.Parameter.empty]
    signature = inspect.Signature([*required, *shared, *optional])

    @functools.wraps(command)
    def wrapper(**values: Any) -> None:
        flags = TaskFlags(**{name: values.pop(name) for name in hints})
        command(flags=flags, **values)

    wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    wrapper.__signature__ = signature  # type: ignore[attr-defined]  # typer reads it
    return wrapper


def build_payload(
    action: str, flags: TaskFlags, title: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The action's payload from the convenient flags and --payload JSON (or ``data``, its
    parse); a field given both ways is refused rather than one of them silently winning."""
    data = dict(data) if data is not None else payload_json(flags.payload)
    agent = flags.agent()
    given = {"message": flags.message, "instructions": flags.instructions, **agent}
    for field, value in given.items():
        if value is not None and field in data:
            raise InvalidInputError(
                f'--{field} and the "{field}" of --payload both give the {field}; keep one of them.'
            )
    message = _text(flags.message, "--message")
    instructions = _text(flags.instructions, "--instructions")
    if message is not None:
        data["message"] = message
    if instructions is not None:
        data["instructions"] = instructions
    data |= agent
    if action == "reminder" and "message" not in data:
        data["message"] = title
    return data


def payload_json(payload: str | None) -> dict[str, Any]:
    """--payload read as a JSON object (from stdin with '-', a file with '@path')."""
    payload = _text(payload, "--payload")
    if payload is None:
        return {}
    try:
        parsed = json.loads(payload)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"--payload is not valid JSON: {error.msg} at {error.pos}."
        ) from None
    if not isinstance(parsed, dict):
        raise InvalidInputError('--payload must be a JSON object, e.g. \'{"message": "hi"}\'.')
    return parsed


def implied_action(flags: TaskFlags, data: dict[str, Any]) -> str:
    """The action when --action is not given: an agent's when anything says so."""
    agentic = flags.instructions is not None or flags.agent() or "instructions" in data
    return "agent" if agentic else "reminder"


def _text(value: str | None, flag: str) -> str | None:
    """A flag's value as given, or read from stdin ('-') or a file ('@path')."""
    if value == "-":
        return sys.stdin.read()
    if value is not None and value.startswith("@"):
        try:
            return Path(value[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError(f"{flag}: cannot read {value[1:]}: {error.strerror}.") from None
    return value


def _channel_names(values: list[str] | None) -> list[str] | None:
    """--notify 'phone,work' (or repeated) as channel names; '' alone means the defaults."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _span(value: str | None, flag: str) -> float | None:
    if value is None:
        return None
    seconds = span_seconds(value)
    if seconds is None:
        raise InvalidInputError(f"{flag} {value!r} is not {FORMS}.")
    return int(seconds) if seconds.is_integer() else seconds


def _instant(value: str | None, flag: str, zone: str, now: datetime) -> datetime | None:
    """One instant, said as a 'when' of one occurrence: '2026-12-24 18:00', 'tomorrow at 9am'."""
    if value is None:
        return None
    from agentcron.schedules import Once, parse  # noqa: PLC0415 - the parser is heavy

    try:
        schedule = parse(value, zone, now)
    except UserError as error:
        raise InvalidInputError(f"{flag}: {error.message}") from None
    if not isinstance(schedule, Once):
        raise InvalidInputError(
            f"{flag} wants one instant, such as '2026-12-24 18:00' or 'tomorrow at 9am', "
            f"not '{schedule.describe()}'."
        )
    return schedule.at


__all__ = [
    "TaskFlags",
    "build_payload",
    "implied_action",
    "payload_json",
    "with_task_options",
]
