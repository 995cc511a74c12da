"""A call of ``schedule_task`` made again is one task: in a session, always; without one
(HTTP in the 2026-07-28 revision), for the same API key within the repeat window, a
window's end between the two calls included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agentcron.mcp.acting import _ACTING, Acting
from agentcron.mcp.tools import REPEAT_WINDOW, schedule_task
from agentcron.service import TaskService
from agentcron.testing import FakeClock

WINDOW_END = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
"""A multiple of the window: a repeat window ends here."""


async def _schedule(who: Acting, **request: Any) -> dict[str, Any]:
    token = _ACTING.set(who)
    try:
        answer = await schedule_task(**request)
    finally:
        _ACTING.reset(token)
    assert isinstance(answer, dict), answer
    return answer


async def test_without_a_session_a_repeat_by_the_same_key_is_one_task(
    service: TaskService, clock: FakeClock
) -> None:
    assert WINDOW_END.timestamp() % REPEAT_WINDOW.total_seconds() == 0
    clock.set(WINDOW_END - timedelta(seconds=30))
    by_key = Acting(service, "ann", session=None, key_id="k1")
    first = await _schedule(by_key, title="Call mom", when="in 2 days")
    clock.advance(timedelta(minutes=1))  # past the window's end: still a repeat
    again = await _schedule(by_key, title="Call mom", when="in 2 days")
    assert (first["created"], again["created"], again["id"]) == (True, False, first["id"])
    other_key = Acting(service, "ann", session=None, key_id="k2")
    assert (await _schedule(other_key, title="Call mom", when="in 2 days"))["created"]
    clock.advance(REPEAT_WINDOW * 2)  # long after: a new request
    later = await _schedule(by_key, title="Call mom", when="in 2 days")
    assert later["created"]
    assert later["id"] != first["id"]


async def test_in_a_session_a_repeat_is_one_task_and_without_either_every_call_is_new(
    service: TaskService,
) -> None:
    in_session = Acting(service, "ann", session="s1")
    first = await _schedule(in_session, title="Tea", when="every day at 4pm")
    assert not (await _schedule(in_session, title="Tea", when="every day at 4pm"))["created"]
    bare = Acting(service, "ann", session=None)
    made = [await _schedule(bare, title="Tea", when="every day at 4pm") for _ in range(2)]
    assert len({task["id"] for task in made} | {first["id"]}) == 3
