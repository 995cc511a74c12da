"""Chains from the command line, as a person types them: ``agentcron chain`` makes its steps
in one go and draws them, ``add --after`` and ``edit --after`` make a task follow another,
mistakes are one clear line that writes nothing, cancelling the head cancels the chain; and
with ``agentcron serve`` running, a chain runs step after step, each told what the one
before said."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}


def ok(env: dict[str, str], *args: str) -> str:
    result = agentcron(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def as_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(ok(env, *args, "--json"))


def refused(env: dict[str, str], *args: str) -> str:
    """The one line a refused command says (exit status 2, nothing on stdout)."""
    result = agentcron(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return line


def tasks_in_store(env: dict[str, str]) -> list[dict[str, Any]]:
    return list(as_json(env, "ls", "--all"))


def words(text: str) -> str:
    """``text`` with one space between words (tables pad their cells)."""
    return " ".join(text.split())


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def step(message: str, **more: Any) -> str:
    """A --step given as JSON: a reminder saying ``message``."""
    return json.dumps({"action": "reminder", "payload": {"message": message}, **more})


REPORT = (
    "chain", "Report", "--when", "every day at 9am", "--action", "reminder",
    "--step", "Fetch: get the sales", "--step", "Summarize: sum them up",
    "--step", step("sending {previous.output}", title="Send"),
)  # fmt: skip


def test_chain_makes_one_task_per_step_each_after_the_one_before_and_draws_them(
    env: dict[str, str],
) -> None:
    lines = ok(env, *REPORT).splitlines()
    assert lines[0].startswith(
        'Created chain "Report": 3 tasks, the first (1) every day at 09:00 (Europe/Paris); '
        "next run "
    )
    assert lines[1:5] == [
        "chain",
        "> 1 Report: Fetch (every day at 09:00 (Europe/Paris)) active",
        "  └─ 2 Report: Summarize (after 1) active",
        "     └─ 3 Send (after 2) active",
    ]
    head, middle, last = sorted(tasks_in_store(env), key=lambda t: t["id"])
    assert [(t["title"], t["follows_task_id"], t["schedule"]) for t in (middle, last)] == [
        ("Report: Summarize", 1, "after task 1 succeeded"),
        ("Send", 2, "after task 2 succeeded"),
    ]
    assert (head["title"], head["follows_task_id"], head["schedule_kind"]) == (
        "Report: Fetch", None, "rrule"
    )  # fmt: skip
    assert [t["payload"] for t in (head, middle, last)] == [
        {"message": "get the sales"},
        {"message": "sum them up"},
        {"message": "sending {previous.output}"},
    ]
    assert head["next_run_at"] is not None
    assert (middle["next_run_at"], last["next_run_at"]) == (None, None)

    # the middle step shown: its chain drawn, with it marked
    shown = ok(env, "show", "2")
    assert "when after each successful run of task 1" in words(shown)
    assert shown.splitlines()[-4:] == [
        "chain",
        "  1 Report: Fetch (every day at 09:00 (Europe/Paris)) active",
        "> └─ 2 Report: Summarize (after 1) active",
        "     └─ 3 Send (after 2) active",
    ]
    assert as_json(env, "show", "2")["chain"] == [1, 2, 3]
    listed = words(ok(env, "ls"))
    assert "2 │ Report: Summarize │ after each successful run of task 1 │ - │ active" in listed
    assert "3 │ Send │ after each successful run of task 2 │ - │ active" in listed


def test_add_after_another_task_on_its_successes_or_its_failures(env: dict[str, str]) -> None:
    ok(env, "add", "Backup", "--when", "every day at 2am", "--message", "backing up")
    success = ok(env, "add", "Verify", "--after", "1", "--message", "verify {previous.output}")
    assert success.startswith(
        'Created task 2 "Verify": after each successful run of task 1; it runs when task 1\'s '
        "runs end\n"
    )
    failure = as_json(env, "add", "Alarm", "--after", "1", "--after-when", "failed", "-m", "!")
    assert (failure["schedule"], failure["description"], failure["next_run_at"]) == (
        "after task 1 failed", "after each failed run of task 1", None
    )  # fmt: skip
    either = as_json(env, "add", "Log", "--after", "1", "--after-when", "finished", "-m", "x")
    assert either["description"] == "after each run of task 1, whatever its outcome"
    # all three hang below task 1: show draws them as branches of its chain
    drawing = ok(env, "show", "1").splitlines()
    assert drawing[drawing.index("chain") :] == [
        "chain",
        "> 1 Backup (every day at 02:00 (Europe/Paris)) active",
        "  └─ 2 Verify (after 1) active",
        "  └─ 3 Alarm (after 1 failed) active",
        "  └─ 4 Log (after 1 finished) active",
    ]


ON_A_CLOCK = (
    "{previous.output} is filled in from the run a task follows, and this task runs on a "
    "clock: give it --after ID (or 'after task ID' as its schedule)."
)
REFUSED = [
    (["add", "t", "--after", "1", "--when", "in 1 hour"],
     "Give --when (a clock) or --after (another task's runs), not both."),
    (["add", "t", "--after-when", "failed", "--message", "hi"],
     "--after-when goes with --after ID (the task to run after)."),
    (["add", "t", "--after-when", "failed", "--when", "in 1 hour"],
     "--after-when goes with --after ID (the task to run after)."),
    (["add", "t", "--after", "41", "--message", "hi"],
     "There is no task 41 to run after; 'agentcron ls' lists yours."),
    (["add", "t", "--when", "in 1 hour", "--message", "{previous.output}"], ON_A_CLOCK),
    (["chain", "One", "--when", "in 1 hour", "--action", "reminder", "--step", "a"],
     "A chain has at least two steps (--step, twice or more)."),
    (["chain", "Two", "--when", "in 1 hour", "--step", step("a"),
      "--step", step("b", when="in 2 hours")],
     "Step 2 runs after step 1: it takes no 'when' of its own."),
    (["chain", "Three", "--when", "in 1 hour", "--step", step("a"), "--step", step("b"),
      "--step", step("c {previous.outptu}")],
     "Step 3: Unknown placeholder {previous.outptu} in the payload; a task that runs after "
     "another may use {previous.output}, {previous.scheduled_for}, {previous.status}, "
     "{previous.run_id} (write {{ for a brace)."),
    (["chain", "Two", "--when", "in 1 hour", "--step", step("a"), "--step", "{b"],
     "Step 2 is not valid JSON: Expecting property name enclosed in double quotes."),
    (["chain", "Two", "--when", "in 1 hour", "--step", step("{previous.output}"),
      "--step", step("b")],
     f"Step 1: {ON_A_CLOCK}"),
]  # fmt: skip
"""Mistakes made on an empty store, and the message each is refused with."""


def test_chain_mistakes_are_one_clear_line_and_write_nothing(env: dict[str, str]) -> None:
    for args, message in REFUSED:
        assert refused(env, *args) == f"error: {message}", args
    assert tasks_in_store(env) == []


def test_a_chain_whose_head_cannot_be_made_writes_none_of_its_steps(env: dict[str, str]) -> None:
    line = refused(
        env, "chain", "Late", "--when", "2020-01-01 09:00", "--step", step("a"),
        "--step", step("b"),
    )  # fmt: skip
    assert line.startswith("error: Step 1: ")
    assert "is in the past" in line
    assert tasks_in_store(env) == []


def test_edit_after_makes_a_follower_when_turns_it_back_and_a_cycle_is_refused(
    env: dict[str, str],
) -> None:
    ok(env, *REPORT)
    clocked = as_json(env, "add", "Water", "--when", "every monday at 9", "-m", "water")
    following = as_json(env, "edit", str(clocked["id"]), "--after", "3")
    assert (following["follows_task_id"], following["schedule"], following["next_run_at"]) == (
        3, "after task 3 succeeded", None
    )  # fmt: skip
    assert as_json(env, "show", "1")["chain"] == [1, 2, 3, clocked["id"]]
    on_failure = as_json(env, "edit", str(clocked["id"]), "--after-when", "failed")
    assert on_failure["schedule"] == "after task 3 failed"  # --after-when alone keeps task 3
    back = ok(env, "edit", str(clocked["id"]), "--when", "every tuesday at 18:00")
    assert back.startswith(
        f'Updated task {clocked["id"]} "Water": every Tuesday at 18:00 (Europe/Paris); next run '
    )
    again = as_json(env, "show", str(clocked["id"]))
    assert (again["follows_task_id"], again["schedule_kind"]) == (None, "rrule")
    assert "chain" not in again  # in no chain any more
    assert again["next_run_at"] is not None

    before = tasks_in_store(env)
    assert refused(env, "edit", "1", "--after", "3") == (
        "error: Task 1 cannot run after task 3: task 3 already runs after task 1, which would "
        "make a cycle."
    )
    # a step that uses {previous.output} cannot go back to a clock
    assert refused(env, "edit", "3", "--when", "every day at 10am") == f"error: {ON_A_CLOCK}"
    assert tasks_in_store(env) == before


def test_cancelling_the_head_cancels_every_step(env: dict[str, str]) -> None:
    ok(env, *REPORT)
    other = as_json(env, "add", "Other", "--when", "in 1 hour")
    said = ok(env, "cancel", "1")
    assert said.startswith('Cancelled task 1 "Report: Fetch"')
    statuses = {t["id"]: t["status"] for t in tasks_in_store(env)}
    assert statuses == {1: "cancelled", 2: "cancelled", 3: "cancelled", other["id"]: "active"}


def test_a_chain_runs_under_serve_each_step_once_in_order_built_from_the_one_before(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path)
    serve = Serve(env, tmp_path / "serve.log")
    try:
        made = as_json(
            env, "chain", "Sales", "--when", "in 2 seconds",
            "--step", step("sales: 42"),
            "--step", step("summary of [{previous.output}]"),
            "--step", step("sending {previous.output} (run {previous.run_id}, "
                           "{previous.status}, due {previous.scheduled_for})"),
        )  # fmt: skip
        ids = [task["id"] for task in made]
        deadline = time.monotonic() + 20
        while not any(r["status"] == "succeeded" for r in as_json(env, "runs", str(ids[2]))):
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        time.sleep(0.5)  # time for a step to run twice, if it were to
        runs = [as_json(env, "runs", str(task_id)) for task_id in ids]
        shown = [as_json(env, "show", str(task_id)) for task_id in ids]
    finally:
        assert serve.stop() == 0
    [first], [second], [third] = runs
    assert [r["status"] for r in (first, second, third)] == ["succeeded"] * 3
    assert [r["trigger"] for r in (first, second, third)] == ["schedule", "after", "after"]
    assert [r["followed_run_id"] for r in (first, second, third)] == [
        None, first["id"], second["id"]
    ]  # fmt: skip
    assert first["output"] == "sales: 42"
    assert second["output"] == "summary of [sales: 42]"
    assert third["output"] == (
        f"sending summary of [sales: 42] (run {second['id']}, succeeded, due "
        f"{second['scheduled_for']})"
    )
    for before, after in ((first, second), (second, third)):
        assert instant(before["finished_at"]) <= instant(after["started_at"])
    for task, (run,) in zip(shown, runs, strict=True):
        assert task["chain"] == ids
        assert task["run_count"] == 1
        assert task["last_run"] == {
            "id": run["id"], "status": run["status"], "finished_at": run["finished_at"],
            "error": None,
        }  # fmt: skip
    assert [t["status"] for t in shown] == ["completed", "active", "active"]
    told = [line for line in (tmp_path / "serve.log").read_text().splitlines() if "Sales (" in line]
    assert [line.split(": ", 1)[1] for line in told] == [
        first["output"], second["output"], third["output"]
    ]  # fmt: skip
