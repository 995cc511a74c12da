"""Rows become views whichever way a statement orders its columns: a table's own row goes in
by position (the quicker way), any other by name, and both give the same view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, insert, select

from agentcron.store import models
from agentcron.store._rows import USERS, user_view

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Engine:
    engine = create_engine("sqlite://")
    models.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(USERS).values(
                id="ann", name="Ann", timezone="Europe/Paris", locale="fr-FR", created_at=NOW,
                monthly_cost_budget=5.0,
            )
        )  # fmt: skip
    return engine


def test_a_row_in_the_tables_order_and_one_in_another_give_the_same_view(engine: Engine) -> None:
    with engine.connect() as connection:
        whole = connection.execute(select(USERS)).one()
        backwards = connection.execute(select(*reversed(list(USERS.c)))).one()
    assert whole._fields != backwards._fields
    by_position, by_name = user_view(whole), user_view(backwards)
    assert by_position == by_name
    assert (by_position.id, by_position.name) == ("ann", "Ann")
    assert by_position.timezone == "Europe/Paris"
    assert (by_position.locale, by_position.monthly_cost_budget) == ("fr-FR", 5.0)
    assert by_position.created_at == NOW


def test_a_row_missing_a_column_of_the_view_is_refused(engine: Engine) -> None:
    with engine.connect() as connection:
        partial = connection.execute(select(USERS.c.id, USERS.c.name)).one()
    with pytest.raises(TypeError):
        user_view(partial)
