"""``agentcron://upcoming``: the person's next runs, soonest first, for a model to see what
is coming without listing every task."""

from __future__ import annotations

import json

from agentcron.mcp.acting import acting
from agentcron.upcoming import upcoming_runs

URI = "agentcron://upcoming"


async def read_upcoming() -> str:
    """The next runs of the person's active tasks within 7 days, soonest first, as JSON."""
    who = acting()
    return json.dumps(await upcoming_runs(who.service, who.owner))
