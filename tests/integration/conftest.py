"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from agentcron.config import Settings
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from tests.support.engine_rig import Rig


@pytest.fixture(params=[False, True], ids=["unclaimed", "claimed"])
def rig(
    request: pytest.FixtureRequest, service: TaskService, clock: FakeClock, settings: Settings
) -> Rig:
    """Runs claimed when due (as remote workers do), or written claimed (as in one process)."""
    return Rig(service, clock, settings, claim=request.param)
