"""The runs of tasks that follow others, made in the transaction that records the run they
follow: committed together, so a crash between the two cannot lose a step or make it twice.

Each run that ends (succeeded or failed, not one that will be retried) gives each task that
follows its task one run, queued when the follower is active and the end is one it runs
after, else skipped with the reason, which is how a stopped chain says where and why. A
followed run retried by hand that then succeeds turns its follower's skipped run into a
queued one: still one run per followed run (the store's unique pair holds it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentcron.domain import RunStatus, RunTrigger, TaskStatus
from agentcron.schedules import AfterTask, AfterWhen, parse_normalized

if TYPE_CHECKING:
    from agentcron.abc import Repositories
    from agentcron.views import TaskView


@dataclass(frozen=True)
class Ended:
    """A run whose end is recorded: its id, its task, how it ended."""

    run_id: int
    task_id: int
    status: str


async def follow(store: Repositories, ended: Sequence[Ended], now: datetime) -> int:
    """Write the runs these ends give the tasks that follow theirs; how many are queued."""
    ended = [end for end in ended if end.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)]
    if not ended:
        return 0
    followers = await store.tasks.followers(sorted({end.task_id for end in ended}))
    if not followers:
        return 0
    by_followed: dict[int, list[TaskView]] = defaultdict(list)
    for task in followers:
        assert task.follows_task_id is not None
        by_followed[task.follows_task_id].append(task)
    made = await store.runs.of_followed([end.run_id for end in ended])
    rows: list[dict[str, Any]] = []
    counts: dict[int, int] = defaultdict(int)
    queued = 0
    for end in ended:
        for task in by_followed.get(end.task_id, []):
            reason = why_not(task, end, counts[task.id], now)
            before = made.get((task.id, end.run_id))
            if before is not None:  # once per followed run; a skip may yet become a run
                if before == RunStatus.SKIPPED and reason is None:
                    await store.runs.revive_skipped(task.id, end.run_id, now)
                    counts[task.id] += 1
                    queued += 1
                continue
            at = now + timedelta(microseconds=len(rows))  # one instant per run of a task
            rows.append(
                {
                    "task_id": task.id, "scheduled_for": at, "trigger": RunTrigger.AFTER,
                    "status": RunStatus.QUEUED if reason is None else RunStatus.SKIPPED,
                    "reason": reason, "attempt": 0, "not_before": at, "queued_at": now,
                    "finished_at": None if reason is None else now,
                    "followed_run_id": end.run_id,
                }
            )  # fmt: skip
            if reason is None:
                counts[task.id] += 1
                queued += 1
    await store.runs.add_many(rows)
    await store.tasks.count_runs({task_id: n for task_id, n in counts.items() if n})
    return queued


def why_not(task: TaskView, end: Ended, queued_already: int, now: datetime) -> str | None:
    """Why the end of ``end`` gives ``task`` (which follows its task) no run; None: it does."""
    if task.status == TaskStatus.PAUSED:
        return f"task {task.id} is paused: the chain stops here until it is resumed"
    if task.status != TaskStatus.ACTIVE:
        return f"task {task.id} was {task.status}: the chain stops here"
    schedule = parse_normalized(task.schedule, task.timezone)
    if isinstance(schedule, AfterTask) and not schedule.when.admits(end.status):
        wanted = "successful" if schedule.when == AfterWhen.SUCCEEDED else "failed"
        return (
            f"run {end.run_id} of task {end.task_id} {end.status}, and task {task.id} runs "
            f"only after its {wanted} runs: the chain stops here"
        )
    if task.ends_at is not None and now > task.ends_at:
        return f"task {task.id} ended at {task.ends_at.isoformat()}: the chain stops here"
    if task.starts_at is not None and now < task.starts_at:
        return f"task {task.id} starts at {task.starts_at.isoformat()}: the chain waits for it"
    if task.max_runs is not None and task.run_count + queued_already >= task.max_runs:
        return f"task {task.id} has run its {task.max_runs} times: the chain stops here"
    return None
