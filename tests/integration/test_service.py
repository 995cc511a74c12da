"""Every TaskService operation, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, func, insert, select, update

from agentcron.domain import RunStatus
from agentcron.errors import (
    BatchError,
    ConfigurationError,
    ConflictError,
    DuplicateError,
    InvalidInputError,
    LimitError,
    NotFoundError,
    ScheduleError,
)
from agentcron.service import TaskService
from agentcron.store.models import deliveries as delivery_rows
from agentcron.store.models import run_attempts as attempt_rows
from agentcron.store.models import runs as run_rows
from agentcron.store.models import tasks as task_rows
from agentcron.testing import FakeClock
from tests.support.sql import sessions

REMINDER = {"action": "reminder", "payload": {"message": "call mom"}}


async def count(service: TaskService, table: Table) -> int:
    async with sessions(service.store)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_create_computes_next_run_in_the_owner_zone(service: TaskService) -> None:
    task = await service.create(
        "ann", {"title": "Stand-up", "when": "every weekday at 8:30", **REMINDER}
    )
    assert task.id > 0
    assert task.timezone == "Europe/Paris"
    assert task.description == "every weekday at 08:30 (Europe/Paris)"
    assert task.next_run_at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert task.status == "active"
    assert (await service.get("ann", task.id)) == task


async def test_zone_can_be_given_per_task(service: TaskService) -> None:
    task = await service.create(
        "ann",
        {"title": "NY", "when": "tomorrow at 9am", "timezone": "America/New_York", **REMINDER},
    )
    assert task.next_run_at == datetime(2026, 11, 23, 14, tzinfo=UTC)


async def test_idempotency_key_with_the_same_request_returns_the_same_task(
    service: TaskService, clock: FakeClock
) -> None:
    request = {"title": "Once", "when": "in 5 minutes", "idempotency_key": "turn-7", **REMINDER}
    first, created = await service.create_or_get("ann", request)
    assert created
    clock.advance(timedelta(minutes=1))  # a retry: 'in 5 minutes' is read as it was at first
    second, created = await service.create_or_get("ann", request)
    assert (second.id, created) == (first.id, False)
    assert second == first
    other_owner, created = await service.create_or_get("bob", request)
    assert other_owner.id != first.id
    assert created
    assert await count(service, task_rows) == 2


async def test_the_same_request_is_compared_normalized(service: TaskService) -> None:
    """Spelled differently, with a default given explicitly: still the same request."""
    key = {"idempotency_key": "k"}
    first = await service.create(
        "ann", {"title": "Gym", "when": "every day at 9am", **REMINDER, **key}
    )
    again = {
        "title": "  Gym ",
        "when": "every day at 09:00",
        "timezone": "Europe/Paris",  # Ann's own
        "max_attempts": first.max_attempts,
        "overlap_policy": first.overlap_policy,
    }
    assert (await service.create("ann", {**REMINDER, **key, **again})).id == first.id
    assert await count(service, task_rows) == 1


@pytest.mark.parametrize(
    ("change", "differs"),
    [
        ({"title": "Once again"}, "title differs"),
        ({"when": "tomorrow at 10am"}, "schedule differs"),
        ({"timezone": "Asia/Kolkata"}, "schedule, timezone differ"),
        ({"payload": {"message": "call dad"}}, "payload differs"),
        ({"max_attempts": 5}, "max_attempts differs"),
        ({"ends_at": "2026-12-31T00:00:00+00:00"}, "ends_at differs"),
    ],
    ids=["title", "when", "zone", "payload", "option", "bound"],
)
async def test_idempotency_key_with_a_different_request_is_a_conflict(
    service: TaskService, change: dict[str, object], differs: str
) -> None:
    request = {"title": "Once", "when": "tomorrow at 9am", "idempotency_key": "k", **REMINDER}
    first = await service.create("ann", request)
    with pytest.raises(ConflictError) as refused:
        await service.create("ann", request | change)
    assert refused.value.code == "conflict"
    assert refused.value.message == (
        f"The idempotency key 'k' was used for task {first.id} with a different request "
        f"({differs}); repeat that request to get the task, or use a new key."
    )
    assert await count(service, task_rows) == 1
    assert (await service.get("ann", first.id)) == first


async def test_a_reused_key_with_a_request_that_cannot_be_is_refused_as_such(
    service: TaskService,
) -> None:
    request = {"title": "Once", "when": "in 5 minutes", "idempotency_key": "k", **REMINDER}
    await service.create("ann", request)
    with pytest.raises(ScheduleError, match="Could not understand"):
        await service.create("ann", request | {"when": "whenever"})
    assert await count(service, task_rows) == 1


@pytest.mark.parametrize(
    ("title", "fragment"),
    [
        ("Call\nmom", "title: must be one line, but has a line break at character 5"),
        ("Call\rmom", "title: must be one line, but has a line break at character 5"),
        ("Call\u2028mom", "title: must be one line"),
        ("Call\x1b[31mmom", "title: must be plain text, but has the control character U+001B"),
        ("Call\x00mom", "control character U+0000"),
    ],
    ids=["lf", "cr", "line-separator", "escape", "nul"],
)
async def test_a_title_is_one_line_of_text(service: TaskService, title: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        await service.create("ann", {"title": title, "when": "in 1 hour", **REMINDER})
    task = await service.create("ann", {"title": "Call mom 📞", "when": "in 1 hour", **REMINDER})
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        await service.update("ann", task.id, {"title": title})
    assert (await service.get("ann", task.id)).title == "Call mom 📞"
    assert await count(service, task_rows) == 1


async def test_an_empty_zone_is_refused_not_taken_for_the_owners(service: TaskService) -> None:
    empty = "timezone: is empty; give an IANA zone such as Europe/Paris, or leave it out"
    for zone in ("", "   "):
        with pytest.raises(InvalidInputError, match=re.escape(empty)):
            await service.create(
                "ann", {"title": "t", "when": "in 1 hour", "timezone": zone, **REMINDER}
            )
    assert await count(service, task_rows) == 0
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    with pytest.raises(InvalidInputError, match=re.escape(empty)):
        await service.update("ann", task.id, {"timezone": ""})
    assert (await service.get("ann", task.id)).version == task.version


AGENT = {"title": "Quote", "when": "every day at 9am", "action": "agent"}


async def test_an_agent_task_without_a_model_is_refused(service: TaskService) -> None:
    assert service.settings.model is None
    with pytest.raises(ConfigurationError) as refused:
        await service.create("ann", AGENT | {"payload": {"instructions": "A quote."}})
    assert "set AGENTCRON_MODEL=provider:model" in refused.value.message
    assert "or give the task its own (--model)" in refused.value.message
    with pytest.raises(InvalidInputError, match="Model 'gpt4' is not of the form"):
        await service.create("ann", AGENT | {"payload": {"instructions": "x", "model": "gpt4"}})
    with pytest.raises(InvalidInputError, match="Model 'mistral:large' is not of the form"):
        await service.create(
            "ann", AGENT | {"payload": {"instructions": "x", "model": "mistral:large"}}
        )
    assert await count(service, task_rows) == 0
    own = await service.create(
        "ann", AGENT | {"payload": {"instructions": "A quote.", "model": "ollama:llama3.1"}}
    )
    assert own.payload["model"] == "ollama:llama3.1"
    service.settings.model = "openai:gpt-4o-mini"
    configured = await service.create("ann", AGENT | {"payload": {"instructions": "A quote."}})
    assert "model" not in configured.payload  # the configured one, when it runs


async def test_an_agent_task_with_a_configured_model_that_is_no_model_is_refused(
    service: TaskService,
) -> None:
    service.settings.model = "gpt-4o"
    with pytest.raises(ConfigurationError, match="Model 'gpt-4o' is not of the form"):
        await service.create("ann", AGENT | {"payload": {"instructions": "A quote."}})
    assert await count(service, task_rows) == 0


@pytest.mark.parametrize(
    ("request_fields", "error", "fragment"),
    [
        ({"title": "", "when": "tomorrow at 9am"}, InvalidInputError, "title"),
        (
            {"title": "x", "when": "tomorrow at 9am", "timezone": "Mars/Base"},
            ScheduleError,
            "Unknown time zone",
        ),
        ({"title": "x", "when": "2020-01-01 09:00"}, ScheduleError, "in the past"),
        ({"title": "x", "when": "every blue moon"}, ScheduleError, "Could not understand"),
        (
            {"title": "x", "when": "tomorrow at 9am", "action": "teleport"},
            InvalidInputError,
            "Unknown action",
        ),
        ({"title": "x", "when": "tomorrow at 9am", "payload": {}}, InvalidInputError, "message"),
        (
            {"title": "x", "when": "tomorrow at 9am", "payload": {"message": "m" * 1_000_000}},
            InvalidInputError,
            "at most",
        ),
        ({"title": "x", "when": "tomorrow at 9am", "bogus": 1}, InvalidInputError, "bogus"),
        (
            {
                "title": "x",
                "when": "tomorrow at 9am",
                "action": "shell",
                "payload": {"command": "rm -rf /"},
            },
            InvalidInputError,
            "may not run 'rm'",
        ),
        (
            {"title": "x", "when": "every day at 9am", "ends_at": "2026-11-22T12:00:00+00:00"},
            InvalidInputError,
            "no occurrence",
        ),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    service: TaskService, request_fields: dict[str, object], error: type[Exception], fragment: str
) -> None:
    payload = {"payload": {"message": "hi"}} if "payload" not in request_fields else {}
    with pytest.raises(error, match=fragment):
        await service.create("ann", {**payload, **request_fields})
    assert await count(service, task_rows) == 0


async def test_unknown_owner_and_other_owners_tasks_are_not_found(service: TaskService) -> None:
    task = await service.create("ann", {"title": "mine", "when": "in 1 hour", **REMINDER})
    with pytest.raises(NotFoundError, match=f"no task {task.id}"):
        await service.get("bob", task.id)
    with pytest.raises(NotFoundError):
        await service.cancel("bob", task.id)
    with pytest.raises(NotFoundError, match="no task 999"):
        await service.get("ann", 999)
    with pytest.raises(NotFoundError, match="carol"):
        await service.create("carol", {"title": "x", "when": "in 1 hour", **REMINDER})


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("%", ["50% off"]),
        ("0%", ["50% off"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("/", ["to/from"]),
        ("B", ["a_b", "axb", "back\\slash"]),
    ],
)
async def test_search_takes_like_wildcards_literally(
    service: TaskService, text: str, found: list[str]
) -> None:
    for title in ("50% off", "500 off", "a_b", "axb", "back\\slash", "to/from"):
        await service.create("ann", {"title": title, "when": "in 1 hour", **REMINDER})
    assert sorted(t.title for t in await service.list_tasks("ann", text=text)) == found


async def test_list_filters(service: TaskService, clock: FakeClock) -> None:
    soon = await service.create(
        "ann", {"title": "Water plants", "when": "in 10 minutes", **REMINDER}
    )
    later = await service.create(
        "ann", {"title": "Pay rent", "when": "december 1 at 9am", **REMINDER}
    )
    await service.create("bob", {"title": "Bob's", "when": "in 5 minutes", **REMINDER})
    await service.pause("ann", later.id)
    assert [t.id for t in await service.list_tasks("ann")] == [soon.id, later.id]
    assert [t.id for t in await service.list_tasks("ann", status=["paused"])] == [later.id]
    assert [t.id for t in await service.list_tasks("ann", text="PLANTS")] == [soon.id]
    due = await service.list_tasks("ann", due_before=clock.now() + timedelta(hours=1))
    assert [t.id for t in due] == [soon.id]
    with pytest.raises(InvalidInputError, match="Unknown status"):
        await service.list_tasks("ann", status=["sleeping"])


async def test_update_reschedules_and_checks_versions(service: TaskService) -> None:
    task = await service.create("ann", {"title": "Gym", "when": "every monday at 7am", **REMINDER})
    changed = await service.update(
        "ann", task.id, {"when": "every tuesday at 18:00", "title": "Gym!"}
    )
    assert changed.title == "Gym!"
    assert changed.description == "every Tuesday at 18:00 (Europe/Paris)"
    assert changed.next_run_at == datetime(2026, 11, 24, 17, tzinfo=UTC)
    assert changed.version == task.version + 1
    moved = await service.update("ann", task.id, {"timezone": "Asia/Kolkata"})
    assert moved.next_run_at == datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
    with pytest.raises(ConflictError, match="changed since you read it"):
        await service.update("ann", task.id, {"title": "stale", "expected_version": task.version})
    with pytest.raises(ScheduleError):
        await service.update("ann", task.id, {"when": "every fortnight-ish"})
    assert (await service.get("ann", task.id)).title == "Gym!"
    updated = await service.update("ann", task.id, {"payload": {"message": "new words"}})
    assert updated.payload == {"message": "new words"}


async def test_pause_resume_cancel(service: TaskService) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    assert (await service.pause("ann", task.id)).status == "paused"
    assert (await service.pause("ann", task.id)).status == "paused"  # idempotent
    assert (await service.resume("ann", task.id)).status == "active"
    cancelled = await service.cancel("ann", task.id)
    assert cancelled.status == "cancelled"
    assert cancelled.next_run_at is None
    with pytest.raises(ConflictError, match="cancelled"):
        await service.resume("ann", task.id)
    with pytest.raises(ConflictError):
        await service.update("ann", task.id, {"title": "again"})


async def test_trigger_adds_a_run_now_without_moving_the_schedule(
    service: TaskService, clock: FakeClock
) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    run = await service.trigger("ann", task.id)
    assert run.trigger == "manual"
    assert run.status == "queued"
    assert run.scheduled_for == clock.now()
    assert (await service.get("ann", task.id)).next_run_at == task.next_run_at
    assert [r.id for r in await service.list_runs("ann", task.id)] == [run.id]
    assert (await service.get_run("ann", run.id)).id == run.id
    with pytest.raises(NotFoundError):
        await service.get_run("bob", run.id)


async def test_cancel_cancels_waiting_runs(service: TaskService) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    run = await service.trigger("ann", task.id)
    await service.cancel("ann", task.id)
    assert (await service.get_run("ann", run.id)).status == "cancelled"


async def test_retry_requeues_only_failed_runs(service: TaskService) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    run = await service.trigger("ann", task.id)
    with pytest.raises(ConflictError, match="only failed runs"):
        await service.retry("ann", run.id)
    async with sessions(service.store)() as session, session.begin():
        failed = await session.execute(
            update(run_rows)
            .where(run_rows.c.id == run.id)
            .values(status=RunStatus.FAILED, error="boom")
        )
        assert failed.rowcount == 1
    retried = await service.retry("ann", run.id)
    assert retried.status == "queued"
    assert retried.error is None


async def test_limits(service: TaskService) -> None:
    service.settings.max_active_tasks = 2
    for index in range(2):
        await service.create("ann", {"title": f"t{index}", "when": "in 1 hour", **REMINDER})
    with pytest.raises(LimitError, match="2 active or paused tasks and the limit is 2"):
        await service.create("ann", {"title": "one too many", "when": "in 1 hour", **REMINDER})
    assert await count(service, task_rows) == 2


async def test_create_many_is_all_or_nothing_and_names_every_refused_request(
    service: TaskService,
) -> None:
    good = {"title": "ok", "when": "in 1 hour", **REMINDER}
    batch = [
        good,
        {**good, "when": "someday maybe"},
        {**good, "title": ""},
        {**good, "action": "telepathy"},
        {**good, "notify": ["pager"]},
    ]
    with pytest.raises(BatchError) as refused:
        await service.create_many("ann", batch)
    problems = [(index, type(error)) for index, error in refused.value.problems]
    assert problems == [
        (1, ScheduleError), (2, InvalidInputError), (3, InvalidInputError), (4, InvalidInputError)
    ]  # fmt: skip
    assert refused.value.message.startswith(
        "4 of 5 requests are refused, so none was carried out: #2: "
    )
    assert "#5: You have no channel named 'pager'" in refused.value.message
    assert await count(service, task_rows) == 0
    created = await service.create_many("ann", [good, {**good, "title": "ok 2"}])
    assert [t.title for t in created] == ["ok", "ok 2"]
    assert await count(service, task_rows) == 2


async def test_create_many_or_get_says_which_tasks_are_new(service: TaskService) -> None:
    made = await service.create(
        "ann", {"title": "old", "when": "in 1 hour", "idempotency_key": "a", **REMINDER}
    )
    again = {"title": "new", "when": "in 2 hours", "idempotency_key": "b", **REMINDER}
    checked: list[int] = []
    results = await service.create_many_or_get(
        "ann",
        [{"title": "old", "when": "in 1 hour", "idempotency_key": "a", **REMINDER}, again, again],
        on_checked=checked.append,
    )
    assert [(task.title, created) for task, created in results] == [
        ("old", False), ("new", True), ("new", False)
    ]  # fmt: skip
    assert results[0][0].id == made.id
    assert results[1][0].id == results[2][0].id
    assert checked == [1, 2, 3]
    assert await count(service, task_rows) == 2
    with pytest.raises(BatchError, match=r"#2: The idempotency key 'c' was given to request #1"):
        await service.create_many(
            "ann",
            [{**again, "idempotency_key": "c"}, {**again, "idempotency_key": "c", "title": "x"}],
        )
    assert await count(service, task_rows) == 2


async def test_create_many_stores_what_it_returns_with_ids_in_request_order(
    service: TaskService,
) -> None:
    """The tasks a batch returns are the stored ones, column for column (JSON, instants,
    bounds and options included), numbered in the order of the requests."""
    varied = [
        {"title": "Tea", "when": "every weekday at 8:30", **REMINDER},
        {
            "title": "Café ☕",
            "when": "0 9 * * 1-5",
            "timezone": "Asia/Tokyo",
            "action": "http",
            "payload": {
                "url": "https://hooks.example.com/café",
                "method": "POST",
                "json_body": {"text": "naïve “quotes” and \\ backslash", "n": [1, None, True]},
            },
            "starts_at": "2026-12-01T00:00:00+01:00",
            "ends_at": "2027-01-01T00:00:00+00:00",
            "max_runs": 3,
            "urgent": True,
            "jitter_seconds": 30,
            "timeout_seconds": 12.5,
            "idempotency_key": "café-1",
        },
        {"title": "Later", "when": "in 3 days", "misfire_policy": "skip", **REMINDER},
    ]
    created = await service.create_many("ann", varied * 3)
    new = [task.id for index, task in enumerate(created) if index == 1 or index % 3 != 1]
    assert new == sorted(set(new))
    assert len(new) == 7
    assert created[4] == created[7] == created[1]  # the keyed request made one task
    for task in created:
        stored = await service.get("ann", task.id)
        assert stored == task
    assert created[1].payload["json"]["text"] == "naïve “quotes” and \\ backslash"
    assert created[1].notify_policy == "failure"  # the http action's default
    assert created[1].starts_at == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert await count(service, task_rows) == 7


async def test_a_key_the_store_holds_already_is_a_duplicate_and_nothing_is_written(
    service: TaskService,
) -> None:
    """What the store does when a key is taken between the service's look-up and its insert
    (another process got there first): the whole batch is refused, the transaction undone."""
    first = await service.create(
        "ann", {"title": "Once", "when": "in 1 hour", "idempotency_key": "k", **REMINDER}
    )
    fields = {c.name: getattr(first, c.name) for c in task_rows.c if c.name != "id"}
    fresh = fields | {"idempotency_key": "other", "title": "fresh"}
    with pytest.raises(DuplicateError):
        async with service.store.transaction() as store:
            await store.tasks.add_many([fresh, fields])
    assert await count(service, task_rows) == 1
    async with service.store.transaction() as store:
        (added,) = await store.tasks.add_many([fresh])
    assert added.id > first.id
    assert await service.get("ann", added.id) == added


async def test_concurrent_requests_with_one_key_make_one_task(service: TaskService) -> None:
    request = {"title": "Once", "when": "in 1 hour", "idempotency_key": "race", **REMINDER}
    results = await asyncio.gather(*(service.create_or_get("ann", request) for _ in range(4)))
    assert len({task.id for task, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert await count(service, task_rows) == 1


async def test_briefing_tells_an_agent_whom_it_acts_for_and_what_earlier_runs_said(
    service: TaskService, clock: FakeClock
) -> None:
    task = await service.create("ann", {"title": "Quote", "when": "every day at 9am", **REMINDER})
    day = timedelta(days=1)
    outcomes = [  # (status, output), oldest first
        (RunStatus.SUCCEEDED, "first quote"),
        (RunStatus.FAILED, None),
        (RunStatus.SUCCEEDED, None),  # said nothing
        (RunStatus.SUCCEEDED, "second quote"),
        (RunStatus.SUCCEEDED, "third quote"),
        (RunStatus.RUNNING, None),  # the run being briefed
    ]
    async with sessions(service.store)() as session, session.begin():
        written = await session.execute(
            insert(run_rows).returning(run_rows.c.id, sort_by_parameter_order=True),
            [
                {
                    "task_id": task.id,
                    "scheduled_for": clock.now() + i * day,
                    "not_before": clock.now() + i * day,
                    "queued_at": clock.now() + i * day,
                    "finished_at": clock.now() + i * day + timedelta(seconds=5),
                    "status": status,
                    "output": output,
                }
                for i, (status, output) in enumerate(outcomes)
            ],
        )
        current = written.all()[-1].id

    brief = await service.briefing("ann", task.id, recent=2, before_run=current)
    assert (brief.owner.name, brief.owner.timezone) == ("Ann", "Europe/Paris")
    assert (brief.task.id, brief.task.title) == (task.id, "Quote")
    assert brief.task.description == task.description
    assert [run.output for run in brief.recent] == ["third quote", "second quote"]

    everything = await service.briefing("ann", task.id, recent=10, before_run=current)
    assert [run.output for run in everything.recent] == [
        "third quote",
        "second quote",
        "first quote",
    ]
    assert (await service.briefing("ann", task.id, recent=0)).recent == []
    with pytest.raises(NotFoundError, match=f"no task {task.id}"):
        await service.briefing("bob", task.id, recent=3)


@pytest.mark.serial  # an elapsed time bounded
async def test_reads_do_not_wait_for_a_writer(service: TaskService, database_url: str) -> None:
    """On SQLite a write transaction holds the database's one write lock; reads go on."""
    task = await service.create("ann", {"title": "mine", "when": "in 1 hour", **REMINDER})
    async with service.store.transaction() as writer:
        await writer.tasks.get("ann", task.id, for_update=True)
        started = asyncio.get_running_loop().time()
        seen = await service.get("ann", task.id)
        listed = await service.list_tasks("ann")
        brief = await service.briefing("ann", task.id, recent=3)
        elapsed = asyncio.get_running_loop().time() - started
    assert seen.id == task.id
    assert [t.id for t in listed] == [task.id]
    assert brief.task.id == task.id
    assert elapsed < 2.0, f"reads waited {elapsed:.1f} s for the writer"


async def test_update_changes_the_action_checking_its_payload(service: TaskService) -> None:
    task = await service.create("ann", {"title": "Ping", "when": "every day at 9am", **REMINDER})
    assert (task.timeout_seconds, task.notify_policy) == (10.0, "always")  # the reminder's
    with pytest.raises(InvalidInputError, match=r"Invalid http payload \(url: Field required"):
        await service.update("ann", task.id, {"action": "http"})  # the message does not fit
    with pytest.raises(InvalidInputError, match="Invalid http payload"):
        await service.update("ann", task.id, {"action": "http", "payload": {"url": "nowhere"}})
    with pytest.raises(InvalidInputError, match="may not run 'rm'"):
        await service.update("ann", task.id, {"action": "shell", "payload": {"command": "rm x"}})
    unchanged = await service.get("ann", task.id)
    assert (unchanged.action, unchanged.version) == ("reminder", task.version)
    url = "https://example.com/hook"
    moved = await service.update(
        "ann", task.id, {"action": "http", "payload": {"url": url}, "max_attempts": 5}
    )
    assert (moved.action, moved.payload["url"], moved.max_attempts) == ("http", url, 5)
    # options still at the reminder's defaults take the http action's
    assert (moved.timeout_seconds, moved.notify_policy) == (30.0, "failure")
    assert await service.get("ann", task.id) == moved
    kept = await service.update("ann", task.id, {"timeout_seconds": 45})
    back = await service.update(
        "ann", task.id, {"action": "reminder", "payload": {"message": "hi"}}
    )
    assert (back.action, back.timeout_seconds, back.notify_policy) == ("reminder", 45, "always")
    assert kept.version + 1 == back.version


async def test_update_to_an_agent_keeps_the_agents_minimum_interval(
    service: TaskService,
) -> None:
    service.settings.model = "openai:gpt-4o-mini"
    task = await service.create("ann", {"title": "t", "when": "every minute", **REMINDER})
    with pytest.raises(LimitError, match=r"at most every 5 minutes; '.+' runs 1 minute apart"):
        await service.update("ann", task.id, {"action": "agent", "payload": {"instructions": "x"}})
    assert (await service.get("ann", task.id)).action == "reminder"


async def test_update_of_a_bound_recomputes_the_next_run(service: TaskService) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    starts = datetime(2026, 12, 1, tzinfo=UTC)
    later = await service.update("ann", task.id, {"starts_at": starts, "max_runs": 3})
    assert later.next_run_at == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert (later.starts_at, later.max_runs) == (starts, 3)
    with pytest.raises(InvalidInputError, match="no occurrence within the task's bounds"):
        await service.update("ann", task.id, {"ends_at": datetime(2026, 12, 1, 1, tzinfo=UTC)})


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
async def test_ended_tasks_say_why_they_cannot_change(service: TaskService, status: str) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    async with sessions(service.store)() as session, session.begin():
        await session.execute(
            update(task_rows).where(task_rows.c.id == task.id).values(status=status)
        )
    said = f"Task {task.id} was {status}; {status} tasks cannot be"
    for change, verb in [
        (service.pause, "paused"),
        (service.resume, "resumed"),
        (lambda o, t: service.update(o, t, {"title": "x"}), "changed"),
    ]:
        with pytest.raises(ConflictError) as refused:
            await change("ann", task.id)
        assert refused.value.message == f"{said} {verb}."
    if status == "cancelled":
        with pytest.raises(ConflictError, match=f"^{said} run.$"):
            await service.trigger("ann", task.id)


async def test_delete_removes_an_ended_task_with_its_history(
    service: TaskService, clock: FakeClock
) -> None:
    task = await service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    other = await service.create("ann", {"title": "kept", "when": "every day at 9am", **REMINDER})
    runs = []
    for each in (task, task, other):
        clock.advance(timedelta(seconds=1))  # one occurrence, one run: each at its own instant
        runs.append(await service.trigger("ann", each.id))
    now = service.now()
    async with sessions(service.store)() as session, session.begin():
        for run in runs:
            await session.execute(
                insert(attempt_rows).values(
                    run_id=run.id, attempt=1, started_at=now, status="succeeded"
                )
            )
            await session.execute(
                insert(delivery_rows).values(
                    run_id=run.id, channel="phone", owner_id="ann", status="sent", attempts=1,
                    title="t", body="b", created_at=now, updated_at=now,
                )
            )  # fmt: skip
    for live in ("active", "paused"):
        if live == "paused":
            await service.pause("ann", task.id)
        with pytest.raises(ConflictError) as refused:
            await service.delete("ann", task.id)
        assert refused.value.message == (
            f"Task {task.id} is {live}; cancel it first ('agentcron cancel {task.id}'), then "
            "delete it."
        )
    assert await count(service, run_rows) == 3
    with pytest.raises(NotFoundError):
        await service.delete("bob", task.id)
    await service.cancel("ann", task.id)
    assert await service.delete("ann", task.id) == 2
    with pytest.raises(NotFoundError):
        await service.get("ann", task.id)
    assert [t.id for t in await service.list_tasks("ann", status=None)] == [other.id]
    for table in (run_rows, attempt_rows, delivery_rows):
        assert await count(service, table) == 1  # the other task's
    with pytest.raises(NotFoundError):
        await service.delete("ann", task.id)


async def test_counted_limits_say_one_and_two(service: TaskService) -> None:
    service.settings.max_instructions_chars = 1
    for key, subject in [("message", "The message is"), ("instructions", "The instructions are")]:
        with pytest.raises(InvalidInputError) as refused:
            await service.create("ann", {"title": "t", "when": "in 1 hour", "payload": {key: "ab"}})
        assert refused.value.message == f"{subject} 2 characters long; at most 1 is allowed."
    service.settings.max_instructions_chars = 20_000
    service.settings.max_active_tasks = 1
    await service.create("ann", {"title": "t", "when": "in 1 hour", **REMINDER})
    with pytest.raises(LimitError, match="You have 1 active or paused task and the limit is 1"):
        await service.create("ann", {"title": "t2", "when": "in 1 hour", **REMINDER})
    service.settings.model = "openai:gpt-4o-mini"
    service.settings.max_active_tasks = 10
    agent = {"action": "agent", "payload": {"instructions": "x"}}
    for minimum, when, said in [
        (60, "every 30 seconds", "at most every 1 minute; '.+' runs 0.5 minutes apart"),
        (120, "every minute", "at most every 2 minutes; '.+' runs 1 minute apart"),
    ]:
        service.settings.min_agent_interval_seconds = minimum
        with pytest.raises(LimitError, match=said):
            await service.create("ann", {"title": "a", "when": when, **agent})
