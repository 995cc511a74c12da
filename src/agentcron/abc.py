"""Every contract of agentcron in one place; implementations depend on these, not on
each other.

::

    front doors ──▶ TaskService ──▶ Store ─┬─ UserRepository, TaskRepository,
                        ▲                  └─ RunRepository, ConversationRepository
                        │ TaskGateway
    Scheduler ──▶ Executor ──▶ Runner ──▶ Action
        ▲  Wakeup                   │ outcome (and its deliveries, in one transaction)
                                    ▼
                                Deliverer ──▶ Notifier (Apprise): one delivery per run+channel
                                    Clock everywhere

The store speaks in views (``agentcron.views``) and in the engine's values
(``agentcron.domain``); nothing outside ``agentcron.store`` sees SQL, a session or a
driver's exception.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from agentcron.domain import ClaimedRun, DeliveryJob, Outcome, PreviousRun, WrittenRun
from agentcron.views import (
    ApiKeyView,
    AttemptView,
    Briefing,
    ChannelView,
    DeliveryView,
    EventView,
    Recipient,
    RunView,
    StoreMetrics,
    TaskView,
    UserView,
    WorkerView,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agentcron.config import Settings

TaskFields = dict[str, Any]
"""Column values of a task, by column name (``agentcron.views.TaskView`` lists them)."""

RunFields = dict[str, Any]
"""Column values of a run, by column name (``agentcron.views.RunView`` lists them)."""


# time and waking


class Clock(Protocol):
    """A source of the current instant; nothing in agentcron asks the machine directly."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class Supervisor(Protocol):
    """Keeps a process's long-lived loops alive: no error ends one silently."""

    def keep(
        self, name: str, step: Callable[[], Awaitable[None]], *, until: Callable[[], bool] | None
    ) -> Coroutine[Any, Any, None]:
        """A loop calling ``step`` until ``until()`` says to stop (or it is cancelled). A step
        that raises is logged with its cause and called again after a growing pause; one
        that keeps failing for good ends the process with one line saying why."""
        ...


class Wakeup(Protocol):
    """What the scheduler sleeps on, so that a change ends its sleep at once."""

    def wake(self) -> None:
        """End the current (or the next) sleep early."""
        ...

    async def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when woken early. A wake before the sleep counts."""
        ...


# the store


class UserRepository(Protocol):
    """People, by id."""

    async def get(self, user_id: str) -> UserView | None:
        """The person, or None."""
        ...

    async def get_counting_live(self, user_id: str) -> tuple[UserView, int] | None:
        """The person and how many of their tasks are active or paused, in one read (what
        creating tasks checks)."""
        ...

    async def add_if_absent(self, user: UserView) -> None:
        """Add the person unless one with this id exists (created meanwhile is no error)."""
        ...

    async def set_quiet_hours(self, user_id: str, quiet_hours: str | None) -> None:
        """Set (or clear, with None) when the person is not to be disturbed."""
        ...

    async def set_timezone(self, user_id: str, timezone: str) -> None:
        """Set the person's zone (an IANA name, checked by the caller)."""
        ...

    async def present(self) -> list[UserView]:
        """Every person not removed, by id."""
        ...

    async def restore(self, user_id: str, name: str, timezone: str) -> None:
        """Bring a removed person back, with this name and zone."""
        ...

    async def mark_removed(self, user_id: str, now: datetime) -> None:
        """Record the person as removed (their row stays: their tasks' history refers to it)."""
        ...

    async def set_budget(self, user_id: str, tokens: int | None, cost: float | None) -> None:
        """Set the person's monthly caps (None: no cap)."""
        ...

    async def note_budget_notice(self, user_id: str, month: str) -> bool:
        """Record that the person is told their budget of ``month`` is reached; False if
        they were told already (one caller wins, however many ask at once)."""
        ...

    async def set_calendar_token(self, user_id: str, token: str | None) -> None:
        """Give the person this calendar token (None: no feed)."""
        ...

    async def by_calendar_token(self, token: str) -> UserView | None:
        """The person whose calendar token this is, removed or not, or None."""
        ...


class KeyRepository(Protocol):
    """API keys; their secrets only as hashes."""

    async def add(self, key: ApiKeyView, secret_hash: str) -> None: ...

    async def get(self, key_id: str) -> tuple[ApiKeyView, str] | None:
        """The key and the hash of its secret, or None."""
        ...

    async def get_with_person(self, key_id: str) -> tuple[ApiKeyView, str, bool] | None:
        """The key, the hash of its secret and whether its person is present (not removed),
        or None: in one read, for it is made by every API request."""
        ...

    async def listed(self, user_id: str | None) -> list[ApiKeyView]:
        """Keys, oldest first: one person's, or (None) everyone's."""
        ...

    async def revoke(self, key_id: str, now: datetime) -> bool:
        """Revoke the key; False if it was revoked already."""
        ...

    async def revoke_of_user(self, user_id: str, now: datetime) -> int:
        """Revoke every live key of the person; how many."""
        ...

    async def add_session(
        self, session_id: str, key_id: str, secret_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        """A web session opened with the key (its secret only as a hash)."""
        ...

    async def get_session(self, session_id: str) -> tuple[ApiKeyView, str, datetime, bool] | None:
        """The session's key, the hash of the session's secret, when it expires, and whether
        the key's person is present, or None: one read, made by every page."""
        ...

    async def remove_session(self, session_id: str) -> None:
        """Sign the session out (nothing happens to one that is gone already)."""
        ...


class TaskRepository(Protocol):
    """Tasks. Reads by id are scoped to an owner: another person's task is not found."""

    async def get(self, owner: str, task_id: int, *, for_update: bool = False) -> TaskView | None:
        """The owner's task; ``for_update`` locks it until the transaction ends."""
        ...

    async def count_runs(self, counts: dict[int, int]) -> None:
        """Add runs to tasks' run counts (in the statement: no count read before is lost)."""
        ...

    async def followers(self, task_ids: Sequence[int]) -> list[TaskView]:
        """The tasks (any status, anyone's: ids are the caller's to check) that follow any
        of these, by id."""
        ...

    async def get_with_owner(self, owner: str, task_id: int) -> tuple[TaskView, UserView] | None:
        """The owner's task and the owner, in one read."""
        ...

    async def by_idempotency_keys(self, owner: str, keys: Sequence[str]) -> dict[str, TaskView]:
        """The owner's tasks created with any of these keys, by key (one read for a batch)."""
        ...

    async def search(
        self,
        owner: str,
        *,
        statuses: Sequence[str] | None,
        text: str | None,
        due_before: datetime | None,
        limit: int,
        offset: int,
    ) -> list[TaskView]:
        """The owner's tasks matching every filter given, soonest next run first."""
        ...

    async def add_many(self, tasks: Sequence[TaskFields]) -> list[TaskView]:
        """Insert tasks (every column but ``id``); the stored tasks, in the same order.

        Raises ``DuplicateError`` when an idempotency key is already used by the owner.
        """
        ...

    async def update(self, task_id: int, changes: TaskFields) -> None:
        """Set these columns of the task."""
        ...

    async def delete(self, task_id: int) -> int:
        """Remove the task and everything that refers to it: its runs, their attempts and
        their deliveries; how many runs were removed. The service deletes only ended tasks,
        so no worker holds a run of it."""
        ...

    async def lock_due(self, horizon: datetime, limit: int) -> tuple[list[TaskView], set[int]]:
        """Active tasks due by ``horizon``, soonest first, locked against other schedulers
        until the transaction ends (tasks locked by another are passed over); and the ids of
        those whose large payload was left out (``{}``), to be read when their run starts, so
        that a batch of due tasks never holds all their payloads at once."""
        ...

    async def payloads(self, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The tasks' payloads, by task id (what a run needs as it starts)."""
        ...

    async def advance(self, changes: Sequence[TaskFields]) -> None:
        """Set columns of several tasks at once; each entry has the task's ``id``."""
        ...

    async def complete(self, task_ids: Sequence[int], now: datetime) -> None:
        """Mark live tasks whose goal was reached as completed."""
        ...

    async def finish(self, task_ids: Sequence[int], now: datetime) -> None:
        """End those of these tasks that will not fire again (no next run) and have no run
        outstanding: a one-off whose last run failed as failed, any other as completed.

        A task is never ended while a run of it is still queued, running or retrying, so a
        cancel or a pause in the last instant before a one-off fires still finds it live.
        """
        ...

    async def count_by_status(self, owner: str) -> dict[str, int]:
        """How many of the owner's tasks are in each status."""
        ...

    async def next_due_for(self, owner: str) -> TaskView | None:
        """The owner's active task whose next run comes first (it may be overdue: nothing
        served it), the lowest id first among equals."""
        ...

    async def next_due(self) -> datetime | None:
        """The earliest next run of any active task."""
        ...


class RunRepository(Protocol):
    """Runs: written by the scheduler and the service, claimed and finished by workers.

    A worker owns a run it **claimed** (worker id and a lease) until it finishes it or the
    lease runs out; only the owner may start it, renew it or record its outcome. A run's
    start is committed before its action begins, as a new attempt: a crash after it is seen
    (the attempt is recorded as lost), and a run cancelled or paused before it never begins.
    """

    async def add_many(self, runs: Sequence[RunFields]) -> None:
        """Runs, written as given (a follower's runs: ``engine.following``)."""
        ...

    async def of_followed(self, followed_run_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """The status of each run these runs' ends made, by (its task, the run it followed)."""
        ...

    async def revive_skipped(self, task_id: int, followed_run_id: int, now: datetime) -> None:
        """Queue the task's run skipped after ``followed_run_id`` (which then succeeded)."""
        ...

    async def previous(self, run_id: int) -> PreviousRun | None:
        """What a follower's run is told of the run it follows, or None (purged since)."""
        ...

    async def get(self, owner: str, run_id: int) -> RunView | None:
        """A run of one of the owner's tasks."""
        ...

    async def list_for_task(
        self, task_id: int, limit: int, *, after_run: int | None = None
    ) -> list[RunView]:
        """The task's runs, newest occurrence first; with ``after_run``, those that come
        after that run of the task in this order (the next page)."""
        ...

    async def recent_outputs(
        self, task_id: int, limit: int, exclude_run: int | None
    ) -> list[RunView]:
        """The task's latest succeeded runs that have an output, newest first."""
        ...

    async def spent(self, owner: str, since: datetime, until: datetime) -> tuple[int, float]:
        """Tokens and cost of the owner's runs that finished in [since, until)."""
        ...

    async def add(self, run: RunFields) -> RunView:
        """Insert one run (a manual one: ``agentcron run``)."""
        ...

    async def requeue(self, run_id: int, now: datetime, reason: str) -> None:
        """Queue a finished run again from ``now``, as asked for (a retry by hand: it runs
        whatever its task's status, and adds an attempt)."""
        ...

    async def cancel_waiting(self, task_id: int, now: datetime, reason: str) -> list[RunView]:
        """Cancel the task's queued, running and retrying runs; them, as they were. Their
        workers see it at their next lease renewal, and stop those that started."""
        ...

    async def withdraw_planned(self, task_id: int) -> list[datetime]:
        """Delete the task's runs written ahead by the scheduler and not started yet; their
        occurrences, soonest first (a pause or a new schedule plans them again, or not)."""
        ...

    async def last_for_tasks(self, task_ids: Sequence[int]) -> dict[int, RunView]:
        """Each task's latest run that is not merely queued, by task id."""
        ...

    async def recent(
        self,
        owner: str,
        *,
        statuses: Sequence[str] | None,
        since: datetime | None,
        limit: int,
    ) -> list[RunView]:
        """The owner's runs across tasks, newest occurrence first."""
        ...

    async def attempts(self, run_id: int) -> list[AttemptView]:
        """Every attempt of the run, first first."""
        ...

    async def oldest_waiting(self, owner: str, now: datetime) -> RunView | None:
        """The owner's run that has waited longest past its start (queued or retrying, its
        ``not_before`` at or before ``now``, not begun): what a stalled or absent serve
        leaves behind."""
        ...

    async def count_by_status(self, owner: str, since: datetime) -> dict[str, int]:
        """How many of the owner's runs are in each status: those still outstanding, and
        the others scheduled since ``since``."""
        ...

    async def busy_task_ids(self, task_ids: Sequence[int]) -> set[int]:
        """Which of these tasks have a run queued, running or retrying."""
        ...

    async def write_planned(self, runs: Sequence[RunFields]) -> list[WrittenRun]:
        """Insert runs, skipping occurrences that already have one (one occurrence, one run)."""
        ...

    async def claim(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> list[ClaimedRun]:
        """Claim and start those of the runs still waiting, due, unclaimed and allowed to
        start by their task (one conditional write, and their new attempts).

        A run of a 'queue'-overlap task waits while another run of its task is running,
        claimed, or waiting since earlier (they go one at a time, in order).
        """
        ...

    async def begin(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> dict[int, int]:
        """Start runs written as claimed by this worker, those still waiting and allowed to
        start; their attempt numbers, by run id. One left out must not be performed."""
        ...

    async def record_outcomes(
        self, outcomes: Sequence[Outcome], worker_id: str, now: datetime
    ) -> set[int]:
        """Write finished attempts of the runs this worker still owns, ending their attempt
        rows (a retrying run's attempt failed ``now``); their ids.

        A run cancelled meanwhile, or claimed by another worker after a lost lease, is not
        overwritten.
        """
        ...

    async def renew_leases(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> set[int]:
        """Extend the leases of the runs this worker still owns; the ids still owned."""
        ...

    async def recover_expired(
        self, now: datetime, *, every_running: bool = False
    ) -> tuple[int, list[ClaimedRun]]:
        """Runs whose worker vanished: their attempt recorded as lost, then retried while
        attempts remain, else failed; how many, and those that failed (with their tasks'
        fields: their tasks may end, and their owners be told).

        With ``every_running`` (a process that alone may run this store is starting),
        every running run counts as vanished, and runs claimed but not started are
        released.
        """
        ...

    async def next_lease_expiry(self) -> datetime | None:
        """When the earliest lease of a running run runs out (its worker may have died)."""
        ...

    async def dispatchable(self, now: datetime, limit: int) -> list[int]:
        """Waiting runs that are due, unclaimed and allowed to start, oldest first."""
        ...

    async def next_start(self, now: datetime) -> datetime | None:
        """The next start of a waiting, unclaimed run that is not due yet."""
        ...


class HandoverRepository(Protocol):
    """Runs handed to workers in other processes through the broker (the distributed shape).

    The runs table is the outbox: a waiting run not yet handed over has no
    ``dispatched_at``. Writes that make a run wait again (a retry, a recovery, a retry by
    hand) clear it, so the run is handed over again when it comes due.
    """

    async def to_dispatch(
        self, now: datetime, horizon: datetime, limit: int
    ) -> list[tuple[int, str]]:
        """Waiting runs due by ``horizon``, not handed over, unclaimed and allowed to start,
        oldest first, locked for this transaction (others skip them): ids and actions."""
        ...

    async def mark_dispatched(self, run_ids: Sequence[int], now: datetime) -> None:
        """Record that these runs' ids were sent to the broker."""
        ...

    async def next_dispatch(self, now: datetime) -> datetime | None:
        """The earliest start of a waiting run not handed over yet (unclaimed, and allowed
        to start)."""
        ...

    async def stale(self, now: datetime, before: datetime) -> list[tuple[int, str]]:
        """Runs handed over before ``before``, due since then and still not taken by any
        worker (their message lost, or still waiting behind others), locked for this
        transaction: ids and actions."""
        ...

    async def hand_over_again(self, run_ids: Sequence[int]) -> int:
        """Mark these waiting runs as not handed over: the next pass sends them. How many."""
        ...

    async def release_lapsed(self, now: datetime) -> int:
        """Waiting runs whose worker reserved them and let its lease run out (it died): free
        again, and to be handed over. How many."""
        ...

    async def release(self, run_ids: Sequence[int], worker_id: str) -> int:
        """Give back runs ``worker_id`` reserved and did not start (it is stopping): free,
        and to be handed over again at once. How many."""
        ...

    async def purge_finished(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` runs that finished before ``before``, with their attempts
        and deliveries. How many."""
        ...

    async def try_lock(self, key: int) -> bool:
        """Take the transaction-long lock ``key`` if no other transaction holds it: one
        scheduler at a time does each kind of upkeep."""
        ...

    async def reserve(
        self, run_ids: Sequence[int], now: datetime, until: datetime, worker_id: str
    ) -> tuple[list[tuple[ClaimedRun, datetime]], list[tuple[int, datetime]]]:
        """Of ``run_ids``, those still waiting, unclaimed and allowed to start, held by
        ``worker_id`` until ``until`` (each with its start); and those of tasks whose runs
        queue behind each other, with their starts, to claim when they come due. Runs
        finished, cancelled or held by another live lease are left alone."""
        ...


class WorkerRepository(Protocol):
    """Processes serving the store, each known by the heartbeat it writes."""

    async def heartbeat(self, worker: WorkerView) -> None:
        """Write (or refresh) the worker's row: when it was seen, its loops' states."""
        ...

    async def remove(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly."""
        ...

    async def seen_since(self, since: datetime) -> list[WorkerView]:
        """Workers whose last heartbeat is at or after ``since``, oldest first."""
        ...

    async def record_queue_depths(self, depths: dict[str, int], now: datetime) -> None:
        """Store how many messages wait in each broker queue, counted at ``now``."""
        ...

    async def queue_depths(self) -> dict[str, tuple[int, datetime]]:
        """Each queue's last counted depth, and when it was counted."""
        ...

    async def forget_before(self, before: datetime) -> None:
        """Forget workers not seen since ``before`` (they died without saying so)."""
        ...


class ChannelRepository(Protocol):
    """People's notification channels, by owner and name."""

    async def add(self, channel: dict[str, object]) -> ChannelView:
        """Insert a channel (every column but ``id``); DuplicateError when its name is taken."""
        ...

    async def of_owner(self, owner: str) -> list[ChannelView]:
        """The owner's channels, by name."""
        ...

    async def of_owners(self, owners: Sequence[str]) -> dict[str, list[ChannelView]]:
        """The channels of each of these owners, by owner."""
        ...

    async def get(self, owner: str, name: str) -> ChannelView | None:
        """The owner's channel of this name."""
        ...

    async def remove(self, owner: str, name: str) -> None:
        """Forget the channel (its deliveries keep its name)."""
        ...

    async def set_default(self, owner: str, name: str, is_default: bool) -> None:
        """Make the channel one of the owner's defaults, or not."""
        ...


class DeliveryRepository(Protocol):
    """Notifications of runs, one per run and channel.

    A delivery is written with its run's outcome, in the same transaction: ``sending`` (its
    first attempt, by the worker that recorded the run), ``held`` (quiet hours) or
    ``pending``. Every later attempt is claimed (``claim_due``) before it is sent, so that a
    process dying mid-send leaves it ``sending`` under an expired lease: then ``unknown``.
    """

    async def recipients(self, owners: Sequence[str]) -> dict[str, Recipient]:
        """These people's zones, quiet hours and channels, by id; none of those who have no
        channel."""
        ...

    async def add_many(self, deliveries: Sequence[dict[str, Any]]) -> dict[tuple[int, int], int]:
        """Insert deliveries (every column but ``id``), skipping any whose run and channel
        have one already; the ids of those inserted, by run and channel id."""
        ...

    async def jobs(self, delivery_ids: Sequence[int]) -> list[DeliveryJob]:
        """What sending these deliveries needs, their channels' URLs included (empty for a
        channel removed since)."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, worker_id: str, lease: timedelta
    ) -> list[DeliveryJob]:
        """Start the next attempt of up to ``limit`` pending or held deliveries that are due,
        soonest first (another worker's claims are passed over)."""
        ...

    async def record(
        self, results: Sequence[dict[str, Any]], worker_id: str, now: datetime
    ) -> None:
        """End attempts this worker is sending: each result has ``delivery_id``, ``status``,
        ``error``, ``retry_at`` and ``sent_at``."""
        ...

    async def renew_leases(
        self, delivery_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> None:
        """Extend the leases of deliveries this worker holds to send (or is sending)."""
        ...

    async def lose_stale(self, now: datetime, *, every_sending: bool = False) -> int:
        """Mark deliveries whose sender vanished mid-send (lease expired; with
        ``every_sending``, all being sent) as ``unknown``; how many."""
        ...

    async def next_due(self) -> datetime | None:
        """When the next pending or held delivery is due."""
        ...

    async def next_lease_expiry(self) -> datetime | None:
        """When the earliest lease of a delivery being sent runs out."""
        ...

    async def for_runs(self, run_ids: Sequence[int]) -> dict[int, list[DeliveryView]]:
        """Each run's deliveries, by run id."""
        ...

    async def recent(
        self, owner: str, *, statuses: Sequence[str] | None, limit: int
    ) -> list[DeliveryView]:
        """The owner's deliveries across runs, newest first."""
        ...

    async def get(self, owner: str, delivery_id: int) -> DeliveryView | None:
        """One of the owner's deliveries."""
        ...

    async def send_again(self, delivery_id: int, now: datetime) -> None:
        """Make the delivery pending and due ``now`` (a retry by hand)."""
        ...


@dataclass(frozen=True)
class StoredConversation:
    """A conversation as kept: its messages (JSON) and the latest turn."""

    messages: list[Any]
    last_turn: dict[str, Any] | None


class ConversationRepository(Protocol):
    """A person's chats with the assistant, by name."""

    async def load(self, owner: str, name: str) -> StoredConversation | None:
        """The conversation, or None when it never started."""
        ...

    async def save(
        self,
        owner: str,
        name: str,
        messages: list[Any],
        last_turn: dict[str, Any],
        now: datetime,
    ) -> None:
        """Replace the conversation's messages and latest turn (creating it if new)."""
        ...


class EventRepository(Protocol):
    """What happened to people's tasks, runs and deliveries, in order (triggers write it)."""

    async def after(
        self, owner: str | None, position: tuple[int, int] | None, limit: int
    ) -> list[EventView]:
        """Up to ``limit`` settled events after ``position`` (None: from the first), the
        owner's or (None) everyone's, in order."""
        ...

    async def last(self, owner: str, limit: int) -> list[EventView]:
        """The owner's latest ``limit`` settled events, in order."""
        ...

    async def position_of(self, event_id: int) -> tuple[int, int] | None:
        """Where the event is in the order, or None if there is no such event (any more)."""
        ...

    async def end(self) -> tuple[int, int] | None:
        """The position of the latest settled event; None when there is none."""
        ...

    async def purge_before(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` events recorded before ``before``; how many."""
        ...


class MetricsRepository(Protocol):
    """Totals across every person, for operators."""

    async def totals(self, now: datetime) -> StoreMetrics:
        """Runs and deliveries by status, lateness and duration, tokens and cost, and the
        runs due at ``now`` that have not started."""
        ...


class Repositories(Protocol):
    """The store's aggregates as one transaction (or one snapshot read) sees them."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def keys(self) -> KeyRepository: ...

    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def runs(self) -> RunRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def workers(self) -> WorkerRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def handover(self) -> HandoverRepository: ...

    @property
    def metrics(self) -> MetricsRepository: ...

    @property
    def events(self) -> EventRepository: ...

    async def announce_change(self) -> None:
        """Tell schedulers in other processes, as this transaction commits, that tasks or runs
        changed, where the store itself can carry the news (PostgreSQL: a NOTIFY inside the
        transaction, so one commit does both); nothing happens where it cannot."""
        ...


class Store(Protocol):
    """The source of truth. Every statement agentcron sends goes through one of these.

    Driver errors never leave it: they become ``StoreError`` (locked, disk full,
    server gone: retry later) or ``ConfigurationError`` (the store cannot be used as
    configured).
    """

    @property
    def location(self) -> str:
        """Where the store is, for people (a file path, or the server without password)."""
        ...

    @property
    def shared(self) -> bool:
        """True when other machines may use the store at once (PostgreSQL)."""
        ...

    def transaction(self, *, flush: bool = True) -> AbstractAsyncContextManager[Repositories]:
        """One atomic unit of work: committed on leaving, rolled back on an exception.

        ``flush=False`` (PostgreSQL) returns from the commit before it reaches the disk:
        for writes whose loss in a database crash costs nothing but doing them again (a
        run's start, a reservation, a dispatch mark), never for an outcome."""
        ...

    def transaction_at(
        self, clock: Clock, *, flush: bool = True
    ) -> AbstractAsyncContextManager[tuple[datetime, Repositories]]:
        """``transaction``, with the instant to act at by ``now``'s rules, read inside it:
        no separate round trip to the store's clock."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Repositories]:
        """A consistent read that never waits for writers (no writes through it)."""
        ...

    async def now(self, clock: Clock) -> datetime:
        """The instant to claim work at: the store's clock when it is shared, so that
        machines' skew cannot fire a task early or twice; else ``clock``'s."""
        ...

    async def migrate(self) -> None:
        """Bring the schema to the newest version (cheap when it is already there)."""
        ...

    async def listen_for_changes(self, wakeup: Wakeup) -> None:
        """Wake ``wakeup`` on every change announced by another process while one connection
        lasts, and once on connecting (changes made meanwhile); raise StoreError when the
        connection is lost, so that a supervisor connects again. Returns at once where the
        store carries no such news."""
        ...

    async def upkeep(self) -> None:
        """Housekeeping a long-lived process does every second or so, off the event loop:
        on SQLite, checkpoint the write-ahead log (commits then never wait for the disk);
        nothing where the database does its own."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


# running


class TaskGateway(Protocol):
    """What an action may ask of agentcron while it runs (the agent's tools use it)."""

    def now(self) -> datetime:
        """The current instant (the service's clock)."""
        ...

    async def briefing(
        self, owner: str, task_id: int, *, recent: int, before_run: int | None = None
    ) -> Briefing:
        """The owner, the task and its ``recent`` latest outputs (other than ``before_run``)."""
        ...

    async def create(self, owner: str, request: dict[str, Any]) -> TaskView:
        """A new task for the owner, through every check a front door gets."""
        ...

    async def note_budget_reached(self, owner: str, month: str) -> bool:
        """Whether the owner is to be told now that their budget of ``month`` is reached
        (once a month)."""
        ...


@dataclass(frozen=True)
class ActionContext:
    """Everything an action may know about the run it performs."""

    run_id: int
    task_id: int
    task_title: str
    owner_id: str
    timezone: str
    scheduled_for: datetime
    attempt: int
    payload: dict[str, Any]
    settings: Settings
    tasks: TaskGateway | None = None
    """agentcron's tasks, for actions that read or create them (the agent's tools)."""
    previous: PreviousRun | None = None
    """For a task that runs after another: the run it follows (``agentcron.placeholders``)."""


@dataclass(frozen=True)
class ActionResult:
    """What a run produced: a message for the person and what the system should do next."""

    output: str
    result: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    notify: bool = True
    complete: bool = False


class Action(ABC):
    """One kind of work a task can do; registered under ``name``.

    Plugins add kinds through the ``agentcron.actions`` entry-point group: each entry
    names a subclass, constructed with the settings when first used.
    """

    name: ClassVar[str]
    payload_model: ClassVar[type[BaseModel]]
    """The payload's form; each field's ``description`` is what ``agentcron actions ls`` says."""
    summary: ClassVar[str] = ""
    """What the action does, in one line (default: the class docstring's first line)."""
    payload_example: ClassVar[Mapping[str, Any]] = {}
    """A payload that works, shown with the payload's form (a test validates every one)."""
    defaults: ClassVar[Mapping[str, Any]] = {}
    """Task defaults of this action's tasks that differ from ``domain.TASK_DEFAULTS``."""
    acts_outside: ClassVar[bool] = True
    """Whether performing the action reaches outside agentcron (a request sent, a program
    run, a model called). Such a run's start is committed before it is performed, so a crash
    meanwhile is seen, and a cancel a moment before is obeyed. One that does not (a
    reminder: what it says goes out only with its recorded outcome) starts from memory, and
    its start is written with its outcome: a burst of them costs no statement per start."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def validate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload checked and normalized, or InvalidInputError saying what is wrong."""
        from pydantic import ValidationError  # noqa: PLC0415 - loaded with the settings

        from agentcron.errors import InvalidInputError, summarize_problems  # noqa: PLC0415

        try:
            model = self.payload_model.model_validate(payload)
        except ValidationError as error:
            problems = summarize_problems(error.errors(), "payload")
            raise InvalidInputError(f"Invalid {self.name} payload ({problems}).") from None
        self.check(model)
        return model.model_dump(mode="json", exclude_none=True, by_alias=True)

    def check(self, payload: BaseModel) -> None:  # noqa: B027 - optional hook, no-op by default
        """Operator rules beyond the payload's shape (allow-lists); raise to refuse."""

    async def confirm(self, payload: dict[str, Any], seen: dict[str, Any]) -> None:  # noqa: B027
        """Checks that need I/O (does the MCP server have this tool?); raise
        InvalidInputError to refuse. Optional, no-op by default.

        The service awaits it when a task is created, or its payload or action changes,
        outside any transaction (a slow server holds no lock), before ``validate``: the
        payload is as given, and one whose form is wrong is ``validate``'s to refuse.
        ``seen`` is shared by the checks of one call, so that a batch asks each server
        once (keys are the action's own, prefixed with its name)."""

    @abstractmethod
    async def run(self, context: ActionContext) -> ActionResult:
        """Do the work once. Raise ActionFailed on failure; the runner enforces the timeout."""


class Dispatcher(Protocol):
    """Hands runs waiting in the store to workers in other processes (the distributed
    shape: the broker); the scheduler then writes every run unclaimed."""

    async def dispatch(self, now: datetime) -> int:
        """Send the waiting runs due by the lookahead that were not sent yet; how many."""
        ...


class Executor(Protocol):
    """Where the scheduler hands runs. It is an outbox, not the truth: a run handed over and
    lost is found in the store again, so an executor may drop anything handed to it."""

    @property
    def claim_for(self) -> str | None:
        """The worker id runs may be written as claimed by, or None to write them unclaimed.

        An executor in the scheduler's own process owns its runs from the moment they are
        written, so starting one on time costs no statement.
        """
        ...

    def start(self, supervisor: Supervisor) -> None:
        """Begin executing (inside the running event loop), its loops kept by ``supervisor``."""
        ...

    async def close(self, grace: float) -> None:
        """Stop starting runs; let running ones finish within ``grace`` seconds."""
        ...

    async def idle(self) -> None:
        """Wait until no run handed over is waiting for its instant or being performed here
        (``serve --once`` stops then); runs handed over meanwhile are waited for too."""
        ...

    def recheck(self) -> None:
        """Ask the store soon whether the runs held or performed here are still this
        worker's: a run cancelled, paused or claimed elsewhere is dropped, or stopped."""
        ...

    def submit(self, run_ids: Iterable[int]) -> None:
        """Hand over runs to claim and execute now; ids already handed over are ignored."""
        ...

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Hand over runs to claim and start at their instants (written ahead of them)."""
        ...

    def submit_claimed(self, runs: Iterable[tuple[ClaimedRun, datetime]]) -> None:
        """Hand over runs written as claimed by ``claim_for``, to start at their instants."""
        ...


# notifying


@dataclass(frozen=True)
class Message:
    """What a person is told about a run: a title and a Markdown body."""

    title: str
    body: str
    more: str = ""
    """Where to read all of it, said when a short channel (an SMS) cuts it."""


class Notifier(Protocol):
    """Sends messages to channels (Apprise underneath). agentcron writes one delivery per run
    and channel before sending, so that a retry never notifies twice."""

    def check(self, url: str) -> str:
        """The channel's URL masked for showing, or InvalidInputError (a URL no transport
        takes, an unknown scheme) or ConfigurationError (a shorthand whose transport the
        operator did not set) saying what is wrong."""
        ...

    async def send(self, url: str, message: Message) -> None:
        """Deliver ``message`` once; DeliveryFailed, with the transport's own words, when it
        did not go."""
        ...


class Notices(Protocol):
    """Writes the deliveries of finished runs in the transaction that records them (so that
    a recorded run is always told, and told once), then sends those due now."""

    async def write(
        self, store: Repositories, outcomes: Sequence[Outcome], now: datetime
    ) -> list[DeliveryJob]:
        """Write the deliveries these finished runs make; those to send once committed."""
        ...

    def written(self, jobs: list[DeliveryJob]) -> None:
        """The deliveries are committed: send these now."""
        ...
