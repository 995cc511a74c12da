"""Which actions exist: the built-in ones and those plugins register as entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

from agentcron.actions.base import Action
from agentcron.config import Settings
from agentcron.errors import InvalidInputError

ENTRY_POINT_GROUP = "agentcron.actions"


class ActionRegistry:
    """Action instances by name."""

    def __init__(self, actions: dict[str, Action]) -> None:
        self._actions = actions

    @classmethod
    def load(cls, settings: Settings) -> ActionRegistry:
        """Every action registered under the ``agentcron.actions`` entry-point group."""
        actions: dict[str, Action] = {}
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            action_class = entry.load()
            if not (isinstance(action_class, type) and issubclass(action_class, Action)):
                raise TypeError(f"entry point {entry.name} is not an Action subclass")
            actions[entry.name] = action_class(settings)
        return cls(actions)

    def get(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise InvalidInputError(
                f"Unknown action '{name}'. Available: {', '.join(self.names())}."
            ) from None

    def names(self) -> list[str]:
        return sorted(self._actions)
