"""The examples table in docs/schedules.md is true: each row is parsed and compared."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentcron.schedules import parse

DOC = Path(__file__).parents[2] / "docs" / "schedules.md"
NOW = datetime(2026, 11, 22, 10, 7, 31, tzinfo=UTC)
ZONE = "Europe/Paris"


def example_rows() -> list[tuple[str, str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- examples:start -->")[1].split("<!-- examples:end -->")[0]
    rows = []
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0].strip("`"), cells[1], cells[2], cells[3]))
    return rows


ROWS = example_rows()


def test_the_table_is_not_empty() -> None:
    assert len(ROWS) >= 30


@pytest.mark.parametrize(("text", "kind", "description", "first"), ROWS, ids=[r[0] for r in ROWS])
def test_row(text: str, kind: str, description: str, first: str) -> None:
    schedule = parse(text, ZONE, NOW)
    assert schedule.kind.value == kind
    assert schedule.describe() == f"{description} ({ZONE})"
    expected = [o.strip() for o in first.split(",")]
    got = [f"{o.astimezone(schedule.zone):%a %d %b %H:%M}" for o in schedule.preview(2, NOW)]
    assert got[: len(expected)] == expected
    assert not re.search(r"\s{2,}", description)
