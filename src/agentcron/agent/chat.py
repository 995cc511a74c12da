"""The assistant a person talks to: it turns requests into tasks through TaskService.

Every tool goes through the service, so the chat meets the same checks, limits
and owner scoping as the CLI and the API; a refused call comes back to the model
as a readable answer (``ERROR: ...``) so it can correct itself or ask.

Duplicates: each task a turn creates carries an idempotency key derived from the
turn and the call's arguments, so a retried tool call or a replayed turn (the
same message again within ``REPLAY_WINDOW``) returns the task already made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic_ai import Agent, RunContext
from pydantic_ai.agent import EventStreamHandler
from pydantic_ai.exceptions import AgentRunError
from pydantic_ai.messages import (
    AgentStreamEvent,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.models import Model
from pydantic_ai.toolsets import FunctionToolset
from pydantic_ai.usage import UsageLimits

from agentcron.agent import model_name
from agentcron.agent.chat_channels import default_channels, list_channels, telling
from agentcron.agent.conversations import ConversationStore
from agentcron.agent.deps import ChatDeps
from agentcron.agent.failures import action_failure
from agentcron.agent.models import build_model
from agentcron.agent.trace import TracingToolset, clip, refusal, usage_record
from agentcron.errors import ChatError, InvalidInputError, UserError
from agentcron.schedules import get_zone, parse
from agentcron.secrets import mask_value
from agentcron.service import TaskService
from agentcron.views import TaskView, UserView

REPLAY_WINDOW = timedelta(minutes=10)
_SHOWN_TASKS = 50
NotifyWhen = Literal["always", "agent", "failure", "never"]
"""The service's notify policies, as the model names them."""

INSTRUCTIONS = """\
You are the assistant of agentcron. You turn what the person asks into scheduled tasks \
and look after them, with your tools. When a task comes due, an AI agent acts on its \
instructions (kind 'agent': look things up, write a briefing, check a condition, "tell me \
when...") or a fixed message is sent (kind 'reminder').

- One request makes one task. If the person already has a task for the same thing (see \
their tasks below), say so instead of creating a twin, and change that task if they ask.
- Write instructions for the agent as a complete, standalone brief: it will not see this \
conversation.
- Pass schedules as the person said them ("every weekday at 8:30", "tomorrow at 6pm"); \
use preview_schedule first when you are unsure how one will be read. A schedule that \
names no time runs at 09:00 and a bare hour is on the 24-hour clock ("at 7" is 07:00): \
when the person named no time, or an hour that could be morning or evening, say which \
time was chosen in your confirmation.
- If a tool answers with ERROR, correct the call, or ask the person when you cannot.
- Never invent task ids: use list_tasks or the ids below.
- Tasks tell the person on their channels (list_channels); without notify, on their \
defaults. "Text me" means a channel of kind sms, "email me" one of kind email: pass its \
name in notify. If they have none of that kind, say how to add one ('agentcron channels \
add phone sms:+NUMBER', or email:ADDRESS) and create the task on their defaults only if \
they agree.
- notify_when: 'agent' (told when the agent has news: "tell me when...", the usual for \
agent tasks), 'always' (every run, the usual for reminders), 'failure', 'never'. urgent: \
only if they want it even in quiet hours.
- After creating or changing a task, confirm in one short sentence with the schedule, \
next run and where and when they will be told, as the tool reported them (for example \
"Done: every weekday at 08:30 Europe/Paris, first on Mon 23 Nov 08:30; told on phone after \
every run").\
"""


@dataclass(frozen=True)
class ChatReply:
    """One answer of the assistant, with what it did."""

    text: str
    tool_calls: list[dict[str, Any]]
    usage: dict[str, Any]
    tasks_changed: list[int]

    def to_dict(self) -> dict[str, Any]:
        """What a front door answers for the turn (``chat --json``, ``/v1/chat``)."""
        return {
            "reply": self.text,
            "tasks_changed": self.tasks_changed,
            "tool_calls": self.tool_calls,
            "usage": self.usage,
        }


def confirmation(task: TaskView, defaults: Sequence[str] | None = None) -> str:
    """A task in one line: id, title, schedule in words (with its zone), its next run there,
    and where and when its person is told (``defaults``: their default channels' names)."""
    if task.next_run_at is not None:
        local = task.next_run_at.astimezone(get_zone(task.timezone))
        upcoming = f"next run {local:%a %d %b %Y %H:%M}"
    else:
        upcoming = "no run ahead"
    return (
        f"task {task.id} '{task.title}' [{task.status}, {task.action}]: "
        f"{task.description}; {upcoming}; {telling(task, defaults)}"
    )


async def _done(deps: ChatDeps, task: TaskView) -> str:
    """What a tool that made or changed a task answers: the task, its default channels named."""
    deps.changed.append(task.id)
    defaults = None if task.notify else await default_channels(deps)
    return f"Done: {confirmation(task, defaults)}"


def _notify_options(
    notify: list[str] | None, notify_when: str | None, urgent: bool | None
) -> dict[str, Any]:
    """The service's names for the tools' notification arguments, those given only."""
    options = {"notify": notify, "notify_policy": notify_when, "urgent": urgent}
    return {name: value for name, value in options.items() if value is not None}


def _key(deps: ChatDeps, tool: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps([deps.turn_key, tool, arguments], sort_keys=True, default=str)
    return f"chat-{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


async def create_task(  # noqa: PLR0917 - a tool's parameters are what the model fills in
    ctx: RunContext[ChatDeps],
    title: str,
    when: str,
    instructions: str,
    kind: Literal["agent", "reminder"] = "agent",
    timezone: str | None = None,
    notify: list[str] | None = None,
    notify_when: NotifyWhen | None = None,
    urgent: bool | None = None,
) -> str:
    """Create a one-off or recurring task for the person.

    Args:
        title: a short title, e.g. 'Call mom'.
        when: the schedule in words, cron or ISO, e.g. 'every weekday at 8:30', 'tomorrow at 6pm';
            or 'after task 12' to run after each successful run of task 12 (a chain).
        instructions: for 'agent', the brief the agent will act on; for 'reminder', the message.
        kind: 'agent' (an AI agent acts when due) or 'reminder' (a fixed message).
        timezone: an IANA zone, only if the person names one different from theirs.
        notify: names of the channels to tell (see list_channels); empty: their defaults.
        notify_when: when to tell: always, agent (when the agent has news), failure or never.
        urgent: tell even in the person's quiet hours.
    """
    deps = ctx.deps
    payload = {"instructions": instructions} if kind == "agent" else {"message": instructions}
    options = _notify_options(notify, notify_when, urgent)
    arguments = {"title": title, "when": when, "kind": kind, "timezone": timezone} | options
    request: dict[str, Any] = {
        "title": title,
        "when": when,
        "action": kind,
        "payload": payload,
        "idempotency_key": _key(deps, "create_task", arguments | payload),
        **options,
    }
    if timezone:
        request["timezone"] = timezone
    try:
        task = await deps.service.create(deps.owner.id, request)
    except UserError as error:
        return refusal(error.message)
    return await _done(deps, task)


async def list_tasks(
    ctx: RunContext[ChatDeps], status: str | None = None, text: str | None = None
) -> str:
    """The person's tasks, soonest first.

    Args:
        status: only tasks in this status: active, paused, completed or cancelled.
        text: only tasks whose title contains this text.
    """
    deps = ctx.deps
    try:
        tasks = await deps.service.list_tasks(
            deps.owner.id, status=[status] if status else None, text=text, limit=_SHOWN_TASKS
        )
    except UserError as error:
        return refusal(error.message)
    if not tasks:
        return "No tasks match."
    return "\n".join(f"- {confirmation(task)}" for task in tasks)


async def get_task(ctx: RunContext[ChatDeps], task_id: int) -> str:
    """One task in full: schedule, instructions, status and next run.

    Args:
        task_id: the task's id.
    """
    deps = ctx.deps
    try:
        task = await deps.service.get(deps.owner.id, task_id)
    except UserError as error:
        return refusal(error.message)
    what = task.payload.get("instructions") or task.payload.get("message") or task.payload
    return f"{confirmation(task)}\nInstructions: {clip(str(mask_value(what)), 2000)}"


async def update_task(  # noqa: PLR0917 - a tool's parameters are what the model fills in
    ctx: RunContext[ChatDeps],
    task_id: int,
    title: str | None = None,
    when: str | None = None,
    instructions: str | None = None,
    timezone: str | None = None,
    notify: list[str] | None = None,
    notify_when: NotifyWhen | None = None,
    urgent: bool | None = None,
) -> str:
    """Change a task: rename it, reschedule it, change its instructions, its zone, or where
    and when it tells the person.

    Args:
        task_id: the task's id.
        title: a new title.
        when: a new schedule, e.g. 'every day at 7am'.
        instructions: new instructions (or the new message of a reminder).
        timezone: a new IANA zone; wall-clock times are kept.
        notify: the channels to tell from now on (see list_channels); empty: their defaults.
        notify_when: when to tell: always, agent (when the agent has news), failure or never.
        urgent: true to tell even in the person's quiet hours, false to hold until they end.
    """
    deps = ctx.deps
    try:
        changes: dict[str, Any] = {"title": title, "when": when, "timezone": timezone}
        changes |= _notify_options(notify, notify_when, urgent)
        if instructions is not None:
            current = await deps.service.get(deps.owner.id, task_id)
            field_name = "instructions" if current.action == "agent" else "message"
            changes["payload"] = current.payload | {field_name: instructions}
        task = await deps.service.update(
            deps.owner.id, task_id, {k: v for k, v in changes.items() if v is not None}
        )
    except UserError as error:
        return refusal(error.message)
    return await _done(deps, task)


async def pause_task(ctx: RunContext[ChatDeps], task_id: int) -> str:
    """Pause a task: it stops running until resumed.

    Args:
        task_id: the task's id.
    """
    return await _transition(ctx, task_id, "pause")


async def resume_task(ctx: RunContext[ChatDeps], task_id: int) -> str:
    """Resume a paused task.

    Args:
        task_id: the task's id.
    """
    return await _transition(ctx, task_id, "resume")


async def cancel_task(ctx: RunContext[ChatDeps], task_id: int) -> str:
    """Cancel a task for good (its history is kept).

    Args:
        task_id: the task's id.
    """
    return await _transition(ctx, task_id, "cancel")


async def _transition(
    ctx: RunContext[ChatDeps], task_id: int, verb: Literal["pause", "resume", "cancel"]
) -> str:
    deps = ctx.deps
    service = deps.service
    method = {"pause": service.pause, "resume": service.resume, "cancel": service.cancel}[verb]
    try:
        task = await method(deps.owner.id, task_id)
    except UserError as error:
        return refusal(error.message)
    deps.changed.append(task.id)
    return f"Done: {confirmation(task)}"


async def list_runs(ctx: RunContext[ChatDeps], task_id: int, limit: int = 5) -> str:
    """A task's latest runs: when each was due and started, its status and what it said.

    Args:
        task_id: the task's id.
        limit: how many runs, newest first (at most 20).
    """
    deps = ctx.deps
    zone = get_zone(deps.owner.timezone)
    try:
        runs = await deps.service.list_runs(deps.owner.id, task_id, limit=max(1, min(limit, 20)))
    except UserError as error:
        return refusal(error.message)
    if not runs:
        return "This task has not run yet."
    lines = []
    for run in runs:
        started = f"{run.started_at.astimezone(zone):%H:%M:%S}" if run.started_at else "-"
        said = run.output or run.error or run.reason or ""
        lines.append(
            f"- run {run.id}: due {run.scheduled_for.astimezone(zone):%a %d %b %H:%M}, "
            f"started {started}, {run.status}: {clip(said, 300)}"
        )
    return "\n".join(lines)


async def preview_schedule(
    ctx: RunContext[ChatDeps], when: str, timezone: str | None = None
) -> str:
    """Check how a schedule is read, and its next occurrences, without creating anything.

    Args:
        when: the schedule, e.g. 'every other tuesday at 9'.
        timezone: an IANA zone; the person's by default.
    """
    deps = ctx.deps
    try:
        schedule = parse(when, timezone or deps.owner.timezone, deps.now)
    except UserError as error:
        return refusal(error.message)
    zone = get_zone(schedule.timezone)
    upcoming = [f"{at.astimezone(zone):%a %d %b %Y %H:%M}" for at in schedule.preview(3, deps.now)]
    return f"{schedule.describe()}; next: {', '.join(upcoming) or 'none'}"


@lru_cache(maxsize=1)
def chat_toolset() -> FunctionToolset[ChatDeps]:
    """The assistant's tools: everything a person can do with their tasks, and a preview.

    Built once: deriving the tools' schemas costs milliseconds.
    """
    return FunctionToolset(
        [
            create_task,
            list_tasks,
            list_channels,
            get_task,
            update_task,
            pause_task,
            resume_task,
            cancel_task,
            list_runs,
            preview_schedule,
        ]
    )


def text_relay(on_text: Callable[[str], None]) -> EventStreamHandler[ChatDeps]:
    """An event handler passing the text of the model's answers to ``on_text``, piece by
    piece; separate answers (before and after tool calls) are kept apart by a blank line."""
    said = False

    async def relay(_: RunContext[ChatDeps], events: AsyncIterable[AgentStreamEvent]) -> None:
        nonlocal said
        async for event in events:
            piece = ""
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                piece = ("\n\n" if said else "") + event.part.content
                said = True
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                piece = event.delta.content_delta
            if piece:
                on_text(piece)

    return relay


@lru_cache(maxsize=1)
def chat_agent() -> Agent[ChatDeps, str]:
    return Agent(output_type=str, deps_type=ChatDeps, retries=2, defer_model_check=True)


class ChatAssistant:
    """One person's assistant; ``send`` is one turn of a conversation kept in the store."""

    def __init__(
        self,
        service: TaskService,
        owner: str,
        *,
        model: Model | str | None = None,
    ) -> None:
        self.service = service
        self.owner = owner
        self.settings = service.settings
        self._model = model
        self.conversations = ConversationStore(
            service.store, service.clock, service.settings.chat_history_messages
        )

    def check_message(self, text: str) -> str:
        """The message as the assistant reads it, or why it will not."""
        text = text.strip()
        if not text:
            raise InvalidInputError("Say something: the message is empty.")
        bound = self.settings.chat_max_message_chars
        if len(text) > bound:
            raise InvalidInputError(
                f"The message is {len(text):,} characters; the assistant reads at most "
                f"{bound:,} (AGENTCRON_CHAT_MAX_MESSAGE_CHARS). Say it in fewer words."
            )
        return text

    def resolve_model(self) -> tuple[Model, str]:
        """The model the turns go to, or a ConfigurationError naming what is missing."""
        if isinstance(self._model, Model):
            return self._model, self._model.model_name
        name = model_name(self.settings, self._model)
        return build_model(self.settings, name), name

    async def send(
        self,
        text: str,
        *,
        conversation: str = "default",
        on_text: Callable[[str], None] | None = None,
    ) -> ChatReply:
        """Answer one message; tasks it asks for are created, changed or listed on the way.

        With ``on_text``, the model's words are streamed to it as they arrive (what it
        says before calling tools too, so a person sees it working); the reply still
        holds the final answer.
        """
        text = self.check_message(text)
        model, name = self.resolve_model()
        owner = await self.service.profile(self.owner)
        now = self.service.clock.now()
        history = await self.conversations.load(self.owner, conversation)
        turn_key = self._turn_key(history.last_turn, conversation, text, now)
        deps = ChatDeps(service=self.service, owner=owner, turn_key=turn_key, now=now)
        toolset = TracingToolset(chat_toolset())
        try:
            result = await chat_agent().run(
                text,
                model=model,
                deps=deps,
                message_history=history.messages,
                instructions=await self._instructions(owner, now),
                toolsets=[toolset],
                event_stream_handler=text_relay(on_text) if on_text is not None else None,
                usage_limits=UsageLimits(
                    request_limit=self.settings.agent_max_requests,
                    tool_calls_limit=self.settings.agent_max_tool_calls,
                ),
            )
        except AgentRunError as error:
            raise ChatError(action_failure(error, name).message) from None
        await self.conversations.save(
            self.owner,
            conversation,
            result.all_messages(),
            {"text": text, "key": turn_key, "at": now.isoformat()},
        )
        return ChatReply(
            text=result.output,
            tool_calls=toolset.calls,
            usage=usage_record(result.usage, name, self.settings),
            tasks_changed=sorted(set(deps.changed)),
        )

    def _turn_key(
        self, last_turn: dict[str, Any] | None, conversation: str, text: str, now: datetime
    ) -> str:
        """The same message again soon after is the same turn (a client's retry, a double send)."""
        if last_turn and last_turn.get("text") == text:
            at = datetime.fromisoformat(last_turn["at"])
            if now - at <= REPLAY_WINDOW:
                return str(last_turn["key"])
        seed = json.dumps([self.owner, conversation, text, now.isoformat()])
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    async def _instructions(self, owner: UserView, now: datetime) -> str:
        zone = get_zone(owner.timezone)
        tasks = await self.service.list_tasks(
            self.owner, status=["active", "paused"], limit=_SHOWN_TASKS
        )
        listed = "\n".join(f"- {confirmation(task)}" for task in tasks)
        return (
            f"{INSTRUCTIONS}\n\n"
            f"Now: {now.astimezone(zone):%A %d %B %Y %H:%M} ({zone.key}).\n"
            f"The person: {owner.name or owner.id}; time zone {owner.timezone}; "
            f"locale {owner.locale}.\n"
            f"Their active and paused tasks:\n{listed or '- none yet'}"
        )
