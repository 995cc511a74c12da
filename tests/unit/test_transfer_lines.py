"""The export line: what a task becomes, and what reading a file of lines makes of it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from agentcron.errors import InvalidInputError
from agentcron.service import NewTask
from agentcron.transfer import (
    LINE_FIELDS,
    MAX_LINE_BYTES,
    content_key,
    dump_line,
    read_lines,
    task_line,
)
from agentcron.views import TaskView

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


def shell_task(**changes: object) -> TaskView:
    values: dict[str, object] = {
        "id": 7, "owner_id": "ann", "title": "Sync", "action": "shell",
        "payload": {"command": "rsync -a a b", "env": {"REGION": "eu-west", "DB_PASSWORD": "pw"}},
        "schedule": "0 0 3 * * *", "schedule_kind": "cron", "timezone": "Europe/Paris",
        "status": "active", "next_run_at": NOW, "starts_at": NOW, "ends_at": None,
        "max_runs": 9, "run_count": 2, "misfire_policy": "skip", "misfire_grace_seconds": 5,
        "overlap_policy": "queue", "jitter_seconds": 3, "max_attempts": 4,
        "backoff_seconds": 2.5, "backoff_max_seconds": 60.0, "timeout_seconds": 12.0,
        "notify": ["phone"], "notify_policy": "failure", "urgent": True,
        "idempotency_key": "k", "created_at": NOW, "updated_at": NOW, "version": 3,
    }  # fmt: skip
    return TaskView(**(values | changes))  # type: ignore[arg-type]


def test_the_line_holds_every_field_a_new_task_takes_but_its_key() -> None:
    assert set(LINE_FIELDS) == set(NewTask.model_fields) - {"idempotency_key"}
    line = task_line(shell_task(), include_secrets=True)
    assert list(line) == list(LINE_FIELDS)
    assert line["when"] == "0 0 3 * * *"
    assert line["starts_at"] == "2026-11-22T10:00:00+00:00"
    again = NewTask.model_validate(json.loads(dump_line(line)))
    assert again.model_dump(exclude={"idempotency_key", "starts_at"}) == {
        k: v for k, v in line.items() if k != "starts_at"
    }
    assert again.starts_at == NOW


def test_secrets_and_every_env_value_are_masked_unless_included() -> None:
    task = shell_task(payload={"url": "https://u:pw@h/x", "env": {"REGION": "eu-west"}})
    assert task_line(task)["payload"] == {"url": "https://u:****@h/x", "env": {"REGION": "****"}}
    assert task_line(task, include_secrets=True)["payload"] == task.payload


def test_reading_names_each_malformed_line_and_keeps_the_others() -> None:
    data = (
        b'{"title": "a", "when": "every day at 9"}\n\n'
        b'{"title": "b", "when": "0 9 * * *", "action": "http", "payload": {"url": "****"}}\n'
        b"[1]\n"
        b'{"title": "c"\n'
        b"\xff\n"
    )
    lines = read_lines(io.BytesIO(data))
    assert lines.numbers == [1, 3]
    assert lines.requests[0]["payload"] == {"message": "a"}  # as 'add' does for a reminder
    assert [number for number, _ in lines.refused] == [4, 5, 6]
    assert lines.refused[0][1] == "a line is one JSON object (a task), not an array."
    assert lines.masked == 1


def test_content_keys_ignore_key_order_and_spacing_and_a_line_keeps_its_own_key() -> None:
    a = b'{"title": "a", "when": "in 1 hour"}\n{"when":"in 1 hour","title":"a"}\n'
    b = (
        b'{"title": "a", "when": "in 2 hours"}\n'
        b'{"title": "a", "when": "x", "idempotency_key": "mine"}'
    )
    first, second = read_lines(io.BytesIO(a), idempotent=True).requests
    assert first["idempotency_key"] == second["idempotency_key"]
    assert first["idempotency_key"] == content_key(
        {k: v for k, v in first.items() if k != "idempotency_key"}
    )
    other, own = read_lines(io.BytesIO(b), idempotent=True).requests
    assert other["idempotency_key"] != first["idempotency_key"]
    assert own["idempotency_key"] == "mine"
    assert "idempotency_key" not in read_lines(io.BytesIO(a)).requests[0]


def test_a_line_too_long_is_refused_without_being_held_and_the_next_is_read() -> None:
    long = b'{"title": "' + b"x" * MAX_LINE_BYTES + b'"}\n'
    lines = read_lines(io.BytesIO(long + b'{"title": "t", "when": "in 1 hour"}\n'))
    assert lines.refused == [
        (1, f"the line is {len(long):,} bytes long; at most {MAX_LINE_BYTES:,} are allowed.")
    ]
    assert lines.numbers == [2]


def test_too_many_lines_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="more than 100,000 lines"):
        read_lines(io.BytesIO(b"\n" * 100_001))
