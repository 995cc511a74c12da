"""Every message that counts something says '1 attempt' and '2 attempts', never '1 attempts'."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from agentcron.actions import ActionRegistry
from agentcron.cli import _output, _render, status
from agentcron.config import Settings
from agentcron.domain import TASK_DEFAULTS, ClaimedRun
from agentcron.engine.planning import TaskState, plan
from agentcron.engine.runner import Runner
from agentcron.notify.messages import readable_error
from agentcron.plurals import plural
from agentcron.schedules import parse
from agentcron.service import Overview
from agentcron.testing import FakeClock
from agentcron.views import TaskView, WorkerView

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TASK = TaskView(
    id=1, owner_id="ann", title="t", action="reminder", payload={"message": "t"},
    schedule="PT1H", schedule_kind="interval", timezone="UTC", status="active",
    next_run_at=None, starts_at=None, ends_at=None, max_runs=None, run_count=0,
    notify=[], idempotency_key=None, created_at=NOW, updated_at=NOW, version=1,
    **TASK_DEFAULTS.fields(),
)  # fmt: skip


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "0 attempts"), (1, "1 attempt"), (2, "2 attempts"), (1000, "1,000 attempts"),
     (1.0, "1 attempt"), (1.5, "1.5 attempts")],
)  # fmt: skip
def test_plural(count: float, said: str) -> None:
    assert plural(count, "attempt") == said


def test_irregular_plural() -> None:
    assert [plural(n, "reply", "replies") for n in (1, 2)] == ["1 reply", "2 replies"]


def test_show_task_counts() -> None:
    assert [_render.seconds(v) for v in (1, 2, 2.5, 60, 120, 3600, 86_400)] == [
        "1 second", "2 seconds", "2.5 seconds", "1 minute", "2 minutes", "1 hour", "1 day",
    ]  # fmt: skip
    assert _render.jitter(1).startswith("up to 1 second:")
    assert _render.jitter(2).startswith("up to 2 seconds:")
    assert _render.grace(1).startswith("1 second: how late")
    assert _render.retries(replace(TASK, max_attempts=1)) == "none: 1 attempt per run"
    assert _render.retries(replace(TASK, max_attempts=2, backoff_seconds=1)).startswith(
        "up to 2 attempts per run; a retry waits up to 1 second,"
    )
    assert _render.bounds(replace(TASK, max_runs=1)) == "at most 1 run"
    assert _render.bounds(replace(TASK, max_runs=2)) == "at most 2 runs"


def test_usage_counts() -> None:
    one = _render._usage({"model": "m", "requests": 1, "tool_calls": 1})
    two = _render._usage({"model": "m", "requests": 2, "tool_calls": 2})
    assert "1 request, 1 tool call" in one
    assert "2 requests, 2 tool calls" in two


@pytest.mark.parametrize(("restarts", "said"), [(1, "(1 failure;"), (2, "(2 failures;")])
def test_overview_counts_a_loops_failures(
    monkeypatch: pytest.MonkeyPatch, restarts: int, said: str
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(_output, "_console", Console(file=screen, width=200))
    loop = {"name": "scheduler", "state": "retrying", "restarts": restarts,
            "last_error": "locked", "last_error_at": "2026-11-22T10:00:00"}  # fmt: skip
    worker = WorkerView("w1", "serve", NOW, NOW, [loop])
    status.show_overview(Overview({}, {}, None, NOW, [worker]), "UTC", NOW)
    assert said in screen.getvalue()


@pytest.mark.parametrize(("attempts", "said"), [(1, "(tried 1 time)."), (2, "(tried 2 times).")])
def test_a_run_that_gave_up_says_how_often_it_was_tried(attempts: int, said: str) -> None:
    run = ClaimedRun(
        id=1, task_id=1, scheduled_for=NOW, attempt=attempts, owner_id="ann", title="t",
        action="http", payload={}, timezone="UTC", timeout_seconds=1, max_attempts=attempts,
        backoff_seconds=1, backoff_max_seconds=1, overlap_policy="allow",
    )  # fmt: skip
    settings = Settings(timezone="UTC")
    runner = Runner(None, FakeClock(NOW), settings, ActionRegistry.load(settings), "w1")  # type: ignore[arg-type]
    outcome = runner._failure(run, NOW, "it broke", True, None)
    assert outcome.error == f"gave up after {plural(attempts, 'attempt')}: it broke"
    assert readable_error(outcome.error).endswith(said)


def test_a_catch_up_counts_the_occurrences_it_covers() -> None:
    hourly = parse("every hour", "UTC", NOW)  # 11:00, 12:00...
    one = plan(
        TaskState(NOW + timedelta(hours=1)),
        hourly,
        NOW + timedelta(hours=1, minutes=59, seconds=59),
        horizon=NOW + timedelta(hours=2, seconds=1),
    )
    three = plan(TaskState(NOW + timedelta(hours=1)), hourly, NOW + timedelta(hours=3, minutes=30))
    assert (one.runs[-1].reason or "").endswith(", for 1 missed occurrence")
    assert (three.runs[-1].reason or "").endswith(", for 3 missed occurrences")


@pytest.mark.parametrize(
    ("more", "said"),
    [(1, "(1 more occurrence not listed)"), (2, "(2 more occurrences not listed)")],
)
def test_skips_beyond_the_list_are_counted(more: int, said: str) -> None:
    quarterly = parse("every 15 minutes", "UTC", NOW)
    first = NOW + timedelta(minutes=15)
    listed = 101  # the planner lists up to max(run_all_limit, 100) + 1 occurrences one by one
    now = first + timedelta(minutes=15 * (listed - 1 + more))
    result = plan(TaskState(first, misfire_policy="skip"), quarterly, now, run_all_limit=100)
    assert said in (result.runs[0].reason or "")
