"""The runner: claim runs under a lease, perform their action, turn the result into an outcome.

Writing outcomes is the recorder's job (batched); the runner only decides what
an attempt amounts to: succeeded, retrying (with backoff) or failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from agentcron import placeholders
from agentcron.abc import ActionContext, ActionResult, Clock, Store, TaskGateway
from agentcron.actions import ActionRegistry
from agentcron.config import Settings
from agentcron.domain import ClaimedRun, Outcome, PreviousRun, RunStatus
from agentcron.engine.planning import backoff_delay
from agentcron.errors import ActionFailed, AgentCronError
from agentcron.plurals import plural

log = logging.getLogger("agentcron.runner")


class Runner:
    """Performs runs for one worker (``worker_id``)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        actions: ActionRegistry,
        worker_id: str,
        *,
        tasks: TaskGateway | None = None,
    ) -> None:
        self.tasks = tasks
        self.store = store
        self.clock = clock
        self.settings = settings
        self.actions = actions
        self.worker_id = worker_id
        self.lease = timedelta(seconds=settings.lease_seconds)

    async def claim(self, run_ids: Sequence[int]) -> tuple[datetime, list[ClaimedRun]]:
        """Claim and start those of ``run_ids`` still waiting and due (the others are left
        alone); when they started, and them. Committed before any of them is performed."""
        async with self.store.transaction_at(self.clock) as (now, store):
            return now, await store.runs.claim(run_ids, now, self.lease, self.worker_id)

    async def begin(self, run_ids: Sequence[int]) -> tuple[datetime, dict[int, int]]:
        """Start runs written as claimed by this worker; when, and the attempt number of
        each one started (one missing was cancelled, paused or rescheduled: skip it)."""
        # A start lost with the database is only made again: the run is retried either way.
        async with self.store.transaction_at(self.clock, flush=False) as (now, store):
            return now, await store.runs.begin(run_ids, now, self.lease, self.worker_id)

    async def with_payloads(self, runs: Sequence[ClaimedRun]) -> list[ClaimedRun]:
        """The runs, each with its payload: those the scheduler left in the store are read."""
        missing = [run.task_id for run in runs if not run.payload_loaded]
        if not missing:
            return list(runs)
        async with self.store.reading() as store:
            payloads = await store.tasks.payloads(missing)
        return [
            run if run.payload_loaded
            else replace(run, payload=payloads.get(run.task_id, {}), payload_loaded=True)
            for run in runs
        ]  # fmt: skip

    def acts_outside(self, run: ClaimedRun) -> bool:
        """Whether the run's start must be committed before it is performed."""
        try:
            return self.actions.get(run.action).acts_outside
        except AgentCronError:  # an unknown action: perform() fails it, saying why
            return True

    async def perform(self, run: ClaimedRun, started_at: datetime | None = None) -> Outcome:
        """One attempt of ``run``, within its timeout; never raises for a failing action.

        ``started_at`` is when the executor started it (now, by default).
        """
        started_at = started_at or self.clock.now()
        started = time.perf_counter()
        try:
            action = self.actions.get(run.action)
            previous, payload = await self._after(run)
            context = ActionContext(
                run_id=run.id,
                task_id=run.task_id,
                task_title=run.title,
                owner_id=run.owner_id,
                timezone=run.timezone,
                scheduled_for=run.scheduled_for,
                attempt=run.attempt,
                payload=payload,
                settings=self.settings,
                tasks=self.tasks,
                previous=previous,
            )
            async with asyncio.timeout(run.timeout_seconds):
                result = await action.run(context)
        except TimeoutError:
            timed_out = f"timed out after {run.timeout_seconds:g} s"
            return self._failure(run, started_at, timed_out, True, None)
        except ActionFailed as error:
            return self._failure(
                run,
                started_at,
                error.message,
                error.retryable,
                error.retry_after,
                details=error.details,
                tell=error.tell,
            )
        except AgentCronError as error:
            return self._failure(run, started_at, error.message, False, None)
        except Exception as error:
            log.exception("run %s: action %s raised", run.id, run.action)
            return self._failure(run, started_at, f"{type(error).__name__}: {error}", True, None)
        log.debug("run %s succeeded in %.1f ms", run.id, (time.perf_counter() - started) * 1e3)
        return self._success(run, started_at, result)

    async def _after(self, run: ClaimedRun) -> tuple[PreviousRun | None, dict[str, Any]]:
        """For a run of a task that follows another: the run it follows, and the payload
        with its placeholders filled in from it. One read, for those runs only."""
        if run.followed_run_id is None and not placeholders.used(run.payload):
            return None, run.payload
        previous = None
        if run.followed_run_id is not None:
            async with self.store.reading() as store:
                previous = await store.runs.previous(run.followed_run_id)
        return previous, placeholders.render_all(run.payload, previous)

    def _success(self, run: ClaimedRun, started_at: datetime, result: ActionResult) -> Outcome:
        now = self.clock.now()
        return Outcome(
            run=run,
            status=RunStatus.SUCCEEDED,
            started_at=started_at,
            finished_at=now,
            not_before=run.scheduled_for,
            output=result.output,
            result=result.result or None,
            usage=result.usage,
            complete_task=result.complete,
            notify=result.notify,
        )

    def _failure(
        self,
        run: ClaimedRun,
        started_at: datetime,
        error: str,
        retryable: bool,
        retry_after: float | None,
        *,
        details: dict[str, Any] | None = None,
        tell: bool = True,
    ) -> Outcome:
        now = self.clock.now()
        if retryable and run.attempt < run.max_attempts:
            delay = backoff_delay(run.attempt, run.backoff_seconds, run.backoff_max_seconds)
            if retry_after is not None:
                delay = max(delay, retry_after)
            return Outcome(
                run=run,
                status=RunStatus.RETRYING,
                started_at=started_at,
                finished_at=None,
                not_before=now + timedelta(seconds=delay),
                error=f"attempt {run.attempt} of {run.max_attempts}: {error}",
                result=details,
            )
        final = (
            error if not retryable else f"gave up after {plural(run.attempt, 'attempt')}: {error}"
        )
        return Outcome(
            run=run,
            status=RunStatus.FAILED,
            started_at=started_at,
            finished_at=now,
            not_before=now,
            error=final,
            result=details,
            notify=tell,
        )
