"""Which deliveries a finished run makes: the policy table, the channels chosen, and the
rows written (sending now, pending, or held for quiet hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest

from agentcron.domain import ClaimedRun, NotifyPolicy, Outcome, RunStatus
from agentcron.notify.planning import channels_for, deliveries_for, tells
from agentcron.views import ChannelView, Recipient

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # 11:00 in Paris
LEASE = timedelta(seconds=70)

TOLD = {
    # (policy, status, the outcome asks): told
    **dict.fromkeys(product(NotifyPolicy, RunStatus, (False, True)), False),
    (NotifyPolicy.ALWAYS, RunStatus.SUCCEEDED, False): True,
    (NotifyPolicy.ALWAYS, RunStatus.SUCCEEDED, True): True,
    (NotifyPolicy.AGENT, RunStatus.SUCCEEDED, True): True,
    **{(p, RunStatus.FAILED, True): p != NotifyPolicy.NEVER for p in NotifyPolicy},
}  # fmt: skip
"""Every run that ends in failure is told, but under 'never' or when its failure says it was
told once already (a budget's); a success under 'always', and under 'agent' when its report
asks; nothing else (retrying, skipped, cancelled...)."""


@pytest.mark.parametrize(("policy", "status", "agent_says"), sorted(TOLD))
def test_tells(policy: str, status: str, agent_says: bool) -> None:
    assert tells(policy, status, agent_says) is TOLD[(policy, status, agent_says)]


def channel(id: int, name: str, *, default: bool) -> ChannelView:
    return ChannelView(id, "ann", name, f"json://localhost/{name}", name, default, NOW)


CHANNELS = [
    channel(1, "mail", default=True),
    channel(2, "phone", default=False),
    channel(3, "hook", default=True),
]


def recipient(**fields: Any) -> dict[str, Recipient]:
    """The owner as recording reads them: zone, quiet hours, channels."""
    values: dict[str, Any] = {
        "owner_id": "ann", "timezone": "Europe/Paris", "quiet_hours": None, "channels": CHANNELS,
    }  # fmt: skip
    return {"ann": Recipient(**(values | fields))}


@pytest.mark.parametrize(
    ("notify", "channels", "chosen"),
    [
        ([], CHANNELS, ["mail", "hook"]),  # the owner's defaults
        (["phone"], CHANNELS, ["phone"]),  # the task's own, default or not
        (["phone", "mail"], CHANNELS, ["mail", "phone"]),
        (["gone"], CHANNELS, ["mail", "hook"]),  # removed since: the defaults
        (["gone", "phone"], CHANNELS, ["phone"]),
        ([], [channel(2, "phone", default=False)], []),  # no default: nobody to tell
        ([], [], []),
    ],
)
def test_channels_for(notify: list[str], channels: list[ChannelView], chosen: list[str]) -> None:
    found = channels_for(notify, channels)
    assert [c.name for c in found] == chosen


def outcome(
    status: RunStatus = RunStatus.SUCCEEDED,
    *,
    channels: tuple[str, ...] = (),
    policy: str = NotifyPolicy.ALWAYS,
    urgent: bool = False,
    **fields: Any,
) -> Outcome:
    """A finished run; its task names ``channels`` and tells under ``policy``."""
    run = ClaimedRun(
        id=42, task_id=7, scheduled_for=NOW - timedelta(seconds=3), attempt=1, owner_id="ann",
        title="Stretch", action="reminder", payload={}, timezone="Asia/Tokyo",
        timeout_seconds=30, max_attempts=3, backoff_seconds=10, backoff_max_seconds=600,
        overlap_policy="allow", notify_policy=policy, notify=channels, urgent=urgent,
    )  # fmt: skip
    values: dict[str, Any] = {"started_at": NOW, "finished_at": NOW, "not_before": NOW}
    return Outcome(run, status, **(values | {"output": "Stand up."} | fields))


def test_a_run_told_now_is_written_as_being_sent_by_this_worker() -> None:
    rows = deliveries_for([outcome()], recipient(), NOW, sender="w1", lease=LEASE)
    assert [(r["channel"], r["channel_id"]) for r in rows] == [("mail", 1), ("hook", 3)]
    for row in rows:
        assert row["status"] == "sending"
        assert (row["attempts"], row["worker_id"]) == (1, "w1")
        assert row["lease_expires_at"] == NOW + LEASE
        assert (row["next_attempt_at"], row["held_until"], row["sent_at"]) == (None, None, None)
        assert (row["run_id"], row["owner_id"], row["title"]) == (42, "ann", "Stretch")
        # in the owner's zone, not the task's
        assert row["body"] == "Stand up.\n\n_Sun 22 Nov 2026, 10:59 (Europe/Paris)_"


def test_without_a_sender_the_rows_wait_for_one() -> None:
    hook = outcome(channels=("hook",))
    (row,) = deliveries_for([hook], recipient(), NOW, sender=None, lease=LEASE)
    assert (row["status"], row["attempts"], row["worker_id"]) == ("pending", 0, None)
    assert (row["next_attempt_at"], row["lease_expires_at"]) == (NOW, None)


def test_quiet_hours_hold_the_rows_until_they_end_unless_the_task_is_urgent() -> None:
    hook = outcome(channels=("hook",))
    quiet = recipient(quiet_hours="10:30-12:00")
    (held,) = deliveries_for([hook], quiet, NOW, sender="w1", lease=LEASE)
    ends = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)  # 12:00 in Paris
    assert (held["status"], held["attempts"], held["worker_id"]) == ("held", 0, None)
    assert (held["held_until"], held["next_attempt_at"]) == (ends, ends)
    urgent = outcome(channels=("hook",), urgent=True)
    (sent,) = deliveries_for([urgent], quiet, NOW, sender="w1", lease=LEASE)
    assert (sent["status"], sent["held_until"]) == ("sending", None)
    outside = recipient(quiet_hours="22:00-07:00")
    (now,) = deliveries_for([hook], outside, NOW, sender="w1", lease=LEASE)
    assert now["status"] == "sending"


def test_a_failure_is_told_in_words_and_a_quiet_success_not_at_all() -> None:
    agent = {"channels": ("hook",), "policy": NotifyPolicy.AGENT}
    failure = outcome(
        RunStatus.FAILED, output=None, error="gave up after 3 attempts: disk full", **agent
    )
    silent = outcome(notify=False, **agent)
    (row,) = deliveries_for([failure, silent], recipient(), NOW, sender="w1", lease=LEASE)
    assert row["title"] == "Failed: Stretch"
    assert "could not be done: disk full (tried 3 times)." in row["body"]
    assert "`agentcron run-show 42`" in row["body"]


def test_runs_of_unknown_tasks_or_owners_without_channels_make_no_rows() -> None:
    assert deliveries_for([outcome()], {}, NOW, sender="w1", lease=LEASE) == []
    lonely = recipient(channels=[])
    assert deliveries_for([outcome()], lonely, NOW, sender="w1", lease=LEASE) == []
