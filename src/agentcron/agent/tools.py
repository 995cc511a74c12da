"""The tools of a scheduled run's agent. Each refusal is an answer the model can read.

The agent can read the time, plan a one-off follow-up, end its own task and, when
the operator allows hosts, fetch a web page. It cannot notify anyone: agentcron
delivers its report.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import httpx
from pydantic_ai import RunContext

from agentcron.actions._addresses import literal_refusal, public_transport, refused
from agentcron.agent.deps import RunDeps
from agentcron.agent.trace import clip, refusal
from agentcron.config import Settings
from agentcron.errors import UserError
from agentcron.plurals import plural
from agentcron.schedules import Once, get_zone, parse


async def current_time(ctx: RunContext[RunDeps]) -> str:
    """The current date and time in the person's time zone."""
    zone = get_zone(ctx.deps.owner.timezone)
    now = ctx.deps.tasks.now().astimezone(zone)
    return f"{now:%A %d %B %Y, %H:%M:%S} ({zone.key}, UTC{now:%z}); ISO {now.isoformat()}"


async def schedule_followup(
    ctx: RunContext[RunDeps], when: str, instructions: str, title: str | None = None
) -> str:
    """Plan a one-off follow-up task for the same person, acted on by an agent like you.

    Args:
        when: when it should run, e.g. 'in 2 hours', 'tomorrow at 9am' or an ISO time.
        instructions: what the agent should do then.
        title: a short title; the current task's title by default.
    """
    deps = ctx.deps
    settings = deps.context.settings
    if len(deps.followups) >= settings.agent_max_followups:
        return refusal(
            f"this run may create at most {plural(settings.agent_max_followups, 'follow-up task')}."
        )
    now = deps.tasks.now()
    try:
        schedule = parse(when, deps.owner.timezone, now)
    except UserError as error:
        return refusal(error.message)
    if not isinstance(schedule, Once):
        return refusal(
            f"'{when}' repeats ({schedule.describe()}); a follow-up happens once. "
            "Give one moment, e.g. 'in 2 hours'."
        )
    request = {"when": when, "instructions": instructions, "title": title}
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    try:
        task = await deps.tasks.create(
            deps.context.owner_id,
            {
                "title": title or f"Follow-up: {deps.task.title}"[:200],
                # The words, not this attempt's instant: a retry's same words under the same
                # key are the same request (read as at the follow-up's creation).
                "when": when,
                "timezone": deps.owner.timezone,
                "action": "agent",
                "payload": {"instructions": instructions}
                | ({"model": deps.task.payload["model"]} if "model" in deps.task.payload else {}),
                "idempotency_key": f"followup-{deps.context.run_id}-{digest}",
            },
        )
    except UserError as error:
        return refusal(error.message)
    deps.followups.append(task.id)
    return f"Follow-up task {task.id} planned: {task.description}."


async def complete_task(ctx: RunContext[RunDeps], reason: str) -> str:
    """End this task after this run: its goal is reached and it should not run again.

    Args:
        reason: why the task is done, in a few words.
    """
    ctx.deps.complete_requested = reason
    return "The task will be completed when this run ends."


async def http_get(ctx: RunContext[RunDeps], url: str) -> str:
    """Fetch a web page or API response (only from hosts the operator allows).

    Args:
        url: the http(s) address to fetch.
    """
    settings = ctx.deps.context.settings
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return refusal(f"'{url}' is not an http(s) address.")
    if not any(host == allowed or host.endswith(f".{allowed}") for allowed in _allowed(settings)):
        return refusal(
            f"fetching from {host} is not allowed; allowed hosts: "
            f"{', '.join(settings.http_get_allow_hosts)}."
        )
    if not settings.http_allow_private and (why := literal_refusal(url)):
        return refusal(f"fetching {url} is not allowed: {why}")
    limit = settings.http_get_max_bytes
    transport = None if settings.http_allow_private else public_transport(httpx.Limits())
    try:
        async with (
            httpx.AsyncClient(
                timeout=settings.http_get_timeout_seconds, transport=transport
            ) as client,
            client.stream("GET", url, follow_redirects=False) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    break
    except httpx.HTTPError as error:
        if private := refused(error):
            return refusal(f"fetching {url} is not allowed: {private}")
        return refusal(f"fetching {url} failed: {type(error).__name__}: {error}")
    text = bytes(body[:limit]).decode(response.encoding or "utf-8", errors="replace")
    cut = " (cut at the size limit)" if len(body) > limit else ""
    return f"HTTP {response.status_code}{cut}\n{clip(text, limit)}"


def _allowed(settings: Settings) -> list[str]:
    return [host.lower().removeprefix("*.") for host in settings.http_get_allow_hosts]
