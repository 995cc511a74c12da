"""Monthly budgets: an agent run past its owner's cap fails fast, before any model request,
with a reason a person can act on; they are told once a month; the caps start over with the
month, in their zone; the profile shows what is spent and what is left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agentcron.budgets import month_of
from agentcron.errors import InvalidInputError, NotFoundError
from agentcron.notify.deliverer import Deliverer
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from agentcron.testing.model_server import ScriptedModelServer
from tests.support.agent_rig import AgentRig, report

PER_RUN = 120 * 2.0 / 1e6 + 30 * 8.0 / 1e6  # report()'s tokens at the scripted model's price


async def test_past_the_cap_runs_fail_fast_and_the_person_is_told_once(
    service: TaskService, clock: FakeClock, model_server: ScriptedModelServer
) -> None:
    await service.notifications.add_channel("ann", "hook", "json://127.0.0.1:9/hook")
    await service.people.set_budget("ann", cost=f"{PER_RUN * 1.5:.6f}")
    notifications = service.notifications
    deliverer = Deliverer(service.store, clock, service.settings, notifications.notifier, "w")
    rig = AgentRig(service, clock, notices=deliverer)
    task = await rig.agent_task("Check the BTC price.", "every hour", notify_policy="always")

    model_server.script(report("BTC 50k."), report("BTC 51k."))
    await rig.until_next(task.id)  # under the cap
    await rig.until_next(task.id)  # started under it, ends past it
    profile = await notifications.profile("ann")
    assert profile.spend is not None
    assert profile.spend.reached is not None
    assert profile.spend.cost == pytest.approx(2 * PER_RUN)
    assert profile.spend.cost_left == 0
    assert profile.to_dict()["budget"]["reached"] is True

    for _ in range(2):  # past it: no model request, a clear reason, told the first time only
        await rig.until_next(task.id)
    assert len(model_server.requests) == 2 * 1  # one request a run, the two before the cap
    runs = await rig.runs(task.id)
    assert [run.status for run in runs] == ["succeeded", "succeeded", "failed", "failed"]
    for failed in runs[2:]:
        assert failed.attempt == 1  # not retried: another attempt would fail the same way
        assert failed.error is not None
        assert "monthly budget is reached" in failed.error
        assert "agentcron users set ann --monthly-budget" in failed.error
    told = await notifications.of_runs("ann", [run.id for run in runs])
    assert [len(told.get(run.id, [])) for run in runs] == [1, 1, 1, 0]

    await service.people.set_budget("ann", cost="none")  # lifted: runs go on
    model_server.script(report("BTC 52k."))
    await rig.until_next(task.id)
    assert (await rig.runs(task.id))[-1].status == "succeeded"


async def test_the_caps_start_over_with_the_month_in_the_persons_zone(
    service: TaskService, clock: FakeClock, model_server: ScriptedModelServer
) -> None:
    await service.people.set_budget("ann", tokens="150")  # one run's worth
    rig = AgentRig(service, clock)
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    task = await rig.agent_task("Brief me.", "every day at 23:30")  # Paris
    model_server.script(report("Brief."), report("Brief, December."))
    await rig.until_next(task.id)  # 30 Nov 23:30 Paris: November's one run
    await rig.until_next(task.id)  # 1 Dec 23:30: December's
    assert [run.status for run in await rig.runs(task.id)] == ["succeeded", "succeeded"]
    spend = (await service.notifications.profile("ann")).spend
    assert spend is not None
    assert (spend.month, spend.tokens, spend.tokens_left) == ("2026-12", 150, 0)
    assert spend.resets_at == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 Jan in Paris


def test_a_month_is_the_persons_calendar_month() -> None:
    new_year_in_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert month_of(new_year_in_paris, "Europe/Paris")[0] == "2027-01"
    assert month_of(new_year_in_paris, "America/New_York")[:2] == (
        "2026-12", datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
    )  # fmt: skip


async def test_a_budget_is_a_number_or_none(service: TaskService) -> None:
    for tokens, cost, why in (
        (None, None, "Nothing to change"),
        ("lots", None, "whole number"),
        ("1.5", None, "whole number"),
        (None, "-1", "from 0"),
        (None, "nan", "from 0"),
        (None, "five", "amount such as 5.00"),
    ):
        with pytest.raises(InvalidInputError, match=why):
            await service.people.set_budget("ann", tokens=tokens, cost=cost)
    with pytest.raises(NotFoundError):
        await service.people.set_budget("zed", cost="1")
    person = await service.people.set_budget("ann", tokens="1_000", cost="5")
    assert (person.monthly_token_budget, person.monthly_cost_budget) == (1000, 5.0)
    person = await service.people.set_budget("ann", tokens="none")
    assert (person.monthly_token_budget, person.monthly_cost_budget) == (None, 5.0)
