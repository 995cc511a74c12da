"""Actions: what a run does. Built-in: reminder, http, shell (refused unless allow-listed)."""

from agentcron.actions.base import Action, ActionContext, ActionFailed, ActionResult
from agentcron.actions.registry import ENTRY_POINT_GROUP, ActionRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "Action",
    "ActionContext",
    "ActionFailed",
    "ActionRegistry",
    "ActionResult",
]
