"""The agent that acts when a task comes due: nobody is waiting, so it reports instead.

Its report is structured (message, notify, complete): agentcron delivers the
message once, from the report, so the agent has no tool to notify anyone.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.exceptions import AgentRunError
from pydantic_ai.messages import ModelMessage
from pydantic_ai.settings import ModelSettings
from pydantic_ai.toolsets import AbstractToolset, CombinedToolset, FunctionToolset
from pydantic_ai.usage import UsageLimits

from agentcron.abc import ActionContext, ActionResult
from agentcron.agent import model_name, tools
from agentcron.agent.deps import RunDeps
from agentcron.agent.failures import action_failure
from agentcron.agent.mcp import mcp_toolsets
from agentcron.agent.models import build_model
from agentcron.agent.trace import TracingToolset, model_requests, usage_record
from agentcron.budgets import budget_failure
from agentcron.errors import ActionFailed, ConfigurationError
from agentcron.schedules import get_zone
from agentcron.views import Briefing

INSTRUCTIONS = """\
You are the agent of agentcron, acting on one of a person's scheduled tasks now that its \
time has come. Nobody is waiting for you and nobody can answer questions: do what the \
task's instructions ask, using your tools when they help, then give your report.

Your report:
- message: what the person will read. Write to them directly and briefly, in their \
language, with times in their zone. If the instructions ask to report only changes, \
compare with the previous outputs you are shown.
- notify: false when there is nothing worth telling them now (for example, the condition \
of a "tell me when..." task is not met yet); true otherwise.
- complete: true only when the task's goal is reached and it should never run again \
(for example, the condition of a "tell me when..." task is met).

You cannot message anyone yourself: agentcron delivers your message once, from the report.\
"""


class AgentReport(BaseModel):
    """What the agent did, as the person and agentcron need it."""

    message: str = Field(description="What the person will read (or what was found).")
    notify: bool = Field(default=True, description="Whether to send the message to the person now.")
    complete: bool = Field(
        default=False, description="Whether the task's goal is reached and it should stop."
    )


@lru_cache(maxsize=1)
def scheduled_agent() -> Agent[RunDeps, AgentReport]:
    """One agent definition for every run; the model and tools are given per run."""
    return Agent(
        output_type=AgentReport,
        instructions=INSTRUCTIONS,
        deps_type=RunDeps,
        retries=2,
        defer_model_check=True,
    )


def run_prompt(context: ActionContext, brief: Briefing, now: datetime) -> str:
    """The run's user message: the task, the moment, the person and what earlier runs said."""
    owner, task, recent = brief.owner, brief.task, brief.recent
    zone = get_zone(owner.timezone)
    local = now.astimezone(zone)
    due = context.scheduled_for.astimezone(zone)
    lines = [
        f"Task: {task.title} (task {task.id}, run {context.run_id}, attempt {context.attempt})",
        f"Schedule: {task.description}",
        f"Due at: {due:%A %d %B %Y %H:%M} ({zone.key})",
        f"Now: {local:%A %d %B %Y %H:%M} ({zone.key})",
        f"Person: {owner.name or owner.id}; time zone {owner.timezone}; locale {owner.locale}",
        "",
        "Instructions:",
        str(context.payload["instructions"]),
    ]
    if (previous := context.previous) is not None:
        ended = (previous.finished_at or previous.scheduled_for).astimezone(zone)
        lines += [
            "",
            f"This task runs after task {previous.task_id}. Its run {previous.run_id} "
            f"{previous.status} at {ended:%a %d %b %H:%M}; what it said:",
            previous.output or "(nothing)",
        ]
    if recent:
        lines += ["", "Previous outputs of this task, newest first:"]
        for run in recent:
            at = (run.finished_at or run.scheduled_for).astimezone(zone)
            lines.append(f"- {at:%a %d %b %H:%M}: {run.output}")
    else:
        lines += ["", "This is the task's first run with an output."]
    return "\n".join(lines)


@lru_cache(maxsize=2)
def function_toolset(with_http_get: bool) -> FunctionToolset[RunDeps]:
    """The run's own tools, built once: their schemas cost milliseconds to derive."""
    toolset: FunctionToolset[RunDeps] = FunctionToolset(
        [tools.current_time, tools.schedule_followup, tools.complete_task]
    )
    if with_http_get:
        toolset.add_function(tools.http_get)
    return toolset


def run_toolsets(context: ActionContext) -> list[AbstractToolset[RunDeps]]:
    functions = function_toolset(bool(context.settings.http_get_allow_hosts))
    allowed = context.payload.get("mcp") or []
    return [functions, *mcp_toolsets(context.settings, allowed)]


async def run_scheduled(context: ActionContext) -> ActionResult:
    """Act on the task once; the report becomes the run's output and result."""
    tasks = context.tasks
    if tasks is None:
        raise ActionFailed("agent runs need agentcron's tasks (a TaskGateway)", retryable=False)
    settings = context.settings
    try:
        name = model_name(settings, context.payload.get("model"))
        model = build_model(settings, name)
    except ConfigurationError as error:
        raise ActionFailed(error.message, retryable=False) from None
    brief = await tasks.briefing(
        context.owner_id,
        context.task_id,
        recent=settings.agent_recent_runs,
        before_run=context.run_id,
    )
    owner, task = brief.owner, brief.task
    if brief.spend is not None and brief.spend.reached is not None:
        first = await tasks.note_budget_reached(owner.id, brief.spend.month)
        raise ActionFailed(budget_failure(owner, brief.spend), retryable=False, tell=first)
    deps = RunDeps(context=context, tasks=tasks, owner=owner, task=task, model=name)
    toolset = TracingToolset(_combined(run_toolsets(context)))
    agent = scheduled_agent()
    messages: list[ModelMessage] = []
    try:
        async with agent.iter(
            run_prompt(context, brief, tasks.now()),
            model=model,
            deps=deps,
            toolsets=[toolset],
            model_settings=ModelSettings(max_tokens=settings.agent_max_output_tokens),
            usage_limits=UsageLimits(
                request_limit=settings.agent_max_requests,
                tool_calls_limit=settings.agent_max_tool_calls,
                output_tokens_limit=settings.agent_max_output_tokens,
            ),
        ) as agent_run:
            async for _ in agent_run:
                messages = agent_run.all_messages()
            result = agent_run.result
    except AgentRunError as error:
        raise action_failure(error, name, _details(deps, toolset, messages, None)) from None
    assert result is not None  # the run went to its end
    report = result.output
    complete = report.complete or deps.complete_requested is not None
    details = _details(deps, toolset, result.all_messages(), report)
    return ActionResult(
        output=report.message,
        result=details,
        usage=usage_record(result.usage, name, settings),
        notify=report.notify,
        complete=complete,
    )


def _combined(toolsets: list[AbstractToolset[RunDeps]]) -> AbstractToolset[RunDeps]:
    return toolsets[0] if len(toolsets) == 1 else CombinedToolset(toolsets)


def _details(
    deps: RunDeps, toolset: TracingToolset, messages: list[Any], report: AgentReport | None
) -> dict[str, Any]:
    details: dict[str, Any] = {"model": deps.model}
    if report is not None:
        details |= {"notify": report.notify, "complete": report.complete}
    if deps.complete_requested is not None:
        details["complete_reason"] = deps.complete_requested
    if deps.followups:
        details["followups"] = deps.followups
    details["trace"] = {"tools": toolset.calls, "requests": model_requests(messages)}
    return details
