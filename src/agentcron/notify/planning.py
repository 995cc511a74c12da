"""Which deliveries a finished run makes: the task's policy decides whether to tell, its
channels (or its owner's defaults) where, quiet hours when. Pure: the recorder writes what
this returns in the transaction that records the runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agentcron.abc import Message
from agentcron.domain import DeliveryStatus, NotifyPolicy, Outcome, RunStatus
from agentcron.notify import messages
from agentcron.notify.quiet import QuietHours
from agentcron.views import ChannelView, Recipient


def tells(policy: str, status: str, agent_says: bool) -> bool:
    """Whether a run that ended with ``status`` is told, under the task's ``policy``: a run
    that failed for good is told under every policy but ``never`` (unless its failure says
    not to: ``agent_says`` False, a budget's notice given once already); a success under
    ``always``, and under ``agent`` when the agent's report (``agent_says``) asks."""
    if policy == NotifyPolicy.NEVER:
        return False
    if status == RunStatus.FAILED:
        return agent_says
    if status != RunStatus.SUCCEEDED:
        return False
    return policy == NotifyPolicy.ALWAYS or (policy == NotifyPolicy.AGENT and agent_says)


def channels_for(named: Sequence[str], channels: Sequence[ChannelView]) -> list[ChannelView]:
    """The task's own channels when it names some that exist, else its owner's defaults."""
    chosen = [channel for channel in channels if channel.name in named]
    return chosen or [channel for channel in channels if channel.is_default]


def message_for(outcome: Outcome, zone: str) -> Message:
    run = outcome.run
    if outcome.status == RunStatus.FAILED:
        return messages.failed(
            run.title, outcome.error, run.scheduled_for, zone, task_id=run.task_id, run_id=run.id
        )
    return messages.succeeded(run.title, outcome.output, run.scheduled_for, zone)


def deliveries_for(
    outcomes: Sequence[Outcome],
    recipients: dict[str, Recipient],
    now: datetime,
    *,
    sender: str | None,
    lease: timedelta,
) -> list[dict[str, Any]]:
    """The delivery rows of these finished runs. Those due now are written as being sent by
    ``sender`` (their first attempt, recorded before it is made); with no sender, pending."""
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        run = outcome.run
        recipient = recipients.get(run.owner_id)
        if recipient is None or not tells(run.notify_policy, outcome.status, outcome.notify):
            continue
        chosen = channels_for(run.notify, recipient.channels)
        if not chosen:
            continue
        held_until = None
        if recipient.quiet_hours and not run.urgent:
            quiet = QuietHours.parse(recipient.quiet_hours)
            held_until = quiet.ends_after(now, ZoneInfo(recipient.timezone))
        message = message_for(outcome, recipient.timezone)
        rows.extend(
            _row(run.id, channel, recipient.owner_id, message, now,
                 held_until=held_until, sender=sender, lease=lease)
            for channel in chosen
        )  # fmt: skip
    return rows


def _row(
    run_id: int,
    channel: ChannelView,
    owner: str,
    message: Message,
    now: datetime,
    *,
    held_until: datetime | None,
    sender: str | None,
    lease: timedelta,
) -> dict[str, Any]:
    sending = held_until is None and sender is not None
    if held_until is not None:
        status = DeliveryStatus.HELD
    else:
        status = DeliveryStatus.SENDING if sending else DeliveryStatus.PENDING
    return {
        "run_id": run_id,
        "channel_id": channel.id,
        "channel": channel.name,
        "owner_id": owner,
        "status": status.value,
        "attempts": 1 if sending else 0,
        "title": message.title,
        "body": message.body,
        "last_error": None,
        "next_attempt_at": None if sending else (held_until or now),
        "held_until": held_until,
        "sent_at": None,
        "worker_id": sender if sending else None,
        "lease_expires_at": now + lease if sending else None,
        "created_at": now,
        "updated_at": now,
    }
