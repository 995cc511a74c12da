"""A failing channel holds up nothing: the owner's working channel gets every message at
once, runs keep their own results, and the failing channel's deliveries end failed after
their last attempt, their error recorded without the channel's secrets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from agentcron.testing import FakeClock
from tests.support.notify_rig import NotifyRig, eventually
from tests.support.webhooks import WebhookReceiver

PASSWORD = "Hunter2-Pa55w0rd"
RUNS = 12
ATTEMPTS = 3


@pytest.mark.serial  # the working channel's messages bounded in elapsed time
@pytest.mark.parametrize(
    ("failure", "error"),
    [({"status": 500}, "answered HTTP 500"), ({"hang": True}, "did not answer in time")],
    ids=["answers-500", "hangs"],
)
async def test_a_failing_channel_never_holds_up_the_working_one_or_later_runs(
    database_url: str, tmp_path: Path, clock: FakeClock, failure: dict[str, Any], error: str
) -> None:
    good, broken = WebhookReceiver(), WebhookReceiver(**failure)
    with good.running(), broken.running():
        async with NotifyRig.running(
            database_url, tmp_path, clock, delivery_timeout_seconds=0.5,
            delivery_max_attempts=ATTEMPTS, delivery_backoff_seconds=1,
        ) as rig:  # fmt: skip
            await rig.channel("bad", broken.json_url(auth=f"ops:{PASSWORD}"), default=True)
            await rig.channel("good", good.json_url(), default=True)
            first = [await rig.task(f"first {i}") for i in range(RUNS)]
            started = time.monotonic()
            await rig.fire(first[0])  # all of them: they share the minute
            await eventually(lambda: len(good.received()) == RUNS)
            first_batch = time.monotonic() - started

            # a later run, while the bad channel's first attempts are under way or failed
            rig.later(1)  # within a send's lease: the clock does not outrun the sends
            started = time.monotonic()
            later_run = await rig.finish((await rig.service.trigger("ann", first[0].id)).id)
            await eventually(lambda: len(good.received()) == RUNS + 1)
            later_one = time.monotonic() - started
            assert any(d.status != "failed" for d in await rig.deliveries() if d.channel == "bad")

            deliveries = await rig.through_retries()
            runs = [await rig.service.get_run("ann", d.run_id) for d in deliveries]
    assert first_batch < 5, f"the working channel took {first_batch:.1f} s"
    assert later_one < 5, f"the later run's message took {later_one:.1f} s"
    assert {r.status for r in runs} == {"succeeded"}
    assert later_run.id in {d.run_id for d in deliveries}
    by_channel: dict[str, list[tuple[str, int]]] = {"bad": [], "good": []}
    for d in deliveries:
        by_channel[d.channel].append((d.status, d.attempts))
    assert by_channel["good"] == [("sent", 1)] * (RUNS + 1)
    assert by_channel["bad"] == [("failed", ATTEMPTS)] * (RUNS + 1)
    # No attempt more than recorded. One the machine's load kept from being read within the
    # 0.5 s timeout never reached the receiver: it was recorded as not answered in time.
    reached = len(broken.received())
    assert RUNS + 1 <= reached <= (RUNS + 1) * ATTEMPTS
    assert len(good.received()) == RUNS + 1
    for d in deliveries:
        if d.channel == "bad":
            assert d.last_error is not None
            said = error if reached == (RUNS + 1) * ATTEMPTS else "did not answer in time"
            assert error in d.last_error or said in d.last_error
            assert PASSWORD not in d.last_error
