"""Actions: what a run does. Built-in: reminder, http, shell (refused unless allow-listed),
agent and mcp_tool. Plugins subclass ``Action`` (the contract is in ``agentcron.abc``)."""

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.actions.registry import ENTRY_POINT_GROUP, ActionRegistry
from agentcron.errors import ActionFailed

__all__ = [
    "ENTRY_POINT_GROUP",
    "Action",
    "ActionContext",
    "ActionFailed",
    "ActionRegistry",
    "ActionResult",
]
