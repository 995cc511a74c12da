"""A task that runs after another task's run instead of on a clock: "after task 12".

It has no instant of its own (``next_after`` is always None): its runs are made when a run
of the task it follows ends, in the transaction that records that run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from agentcron.errors import ScheduleError
from agentcron.schedules._base import Schedule, ScheduleKind


class AfterWhen(StrEnum):
    """Which ends of the followed task's runs start the follower."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FINISHED = "finished"
    """Either."""

    def admits(self, status: str) -> bool:
        return status in ("succeeded", "failed") if self is AfterWhen.FINISHED else status == self


_PHRASE = re.compile(
    r"^after\s+(?:task\s+)?#?(?P<id>\d{1,18})"
    r"(?:\s+(?:(?:is|has|if|when|once)\s+)?(?P<when>succeeded|succeeds|failed|fails|finished|finishes|ends|ended))?$",
    re.IGNORECASE,
)
_WHEN_WORDS = {
    "succeeded": AfterWhen.SUCCEEDED, "succeeds": AfterWhen.SUCCEEDED,
    "failed": AfterWhen.FAILED, "fails": AfterWhen.FAILED,
    "finished": AfterWhen.FINISHED, "finishes": AfterWhen.FINISHED,
    "ends": AfterWhen.FINISHED, "ended": AfterWhen.FINISHED,
}  # fmt: skip
_DESCRIBED = {
    AfterWhen.SUCCEEDED: "after each successful run of task {id}",
    AfterWhen.FAILED: "after each failed run of task {id}",
    AfterWhen.FINISHED: "after each run of task {id}, whatever its outcome",
}


@dataclass(frozen=True)
class AfterTask(Schedule):
    """Runs after each run of task ``task_id`` that ends as ``when`` says."""

    task_id: int
    when: AfterWhen
    timezone: str
    kind = ScheduleKind.AFTER

    def next_after(self, after: datetime) -> datetime | None:
        return None

    def describe(self) -> str:
        return _DESCRIBED[self.when].format(id=self.task_id)

    def with_timezone(self, timezone: str) -> Schedule:
        return self._rezoned(timezone)

    @property
    def normalized(self) -> str:
        return f"after task {self.task_id} {self.when.value}"


def looks_like_after(text: str) -> bool:
    return text[:6].lower() == "after " and _PHRASE.match(text.strip()) is not None


def parse_after(text: str, tz: str) -> AfterTask:
    found = _PHRASE.match(text.strip())
    if found is None:
        raise ScheduleError(f"'{text}' is not 'after task ID' (succeeded, failed or finished).")
    task_id = int(found["id"])
    if task_id < 1:
        raise ScheduleError("A task id is a whole number from 1.")
    when = _WHEN_WORDS[found["when"].lower()] if found["when"] else AfterWhen.SUCCEEDED
    return AfterTask(task_id, when, tz)
