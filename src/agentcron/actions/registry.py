"""Which actions exist: the built-in ones, those plugins register as entry points, and
those the configuration names."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from agentcron.actions.base import Action
from agentcron.config import Settings
from agentcron.errors import ConfigurationError, InvalidInputError

ENTRY_POINT_GROUP = "agentcron.actions"


class ActionRegistry:
    """Action instances by name."""

    def __init__(self, actions: dict[str, Action]) -> None:
        self._actions = actions

    @classmethod
    def load(cls, settings: Settings) -> ActionRegistry:
        """Every action of the ``agentcron.actions`` entry-point group and of ``settings.actions``.

        A configured action replaces an entry point of the same name.
        """
        actions: dict[str, Action] = {}
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            actions[entry.name] = _checked(entry.load(), f"entry point {entry.name}")(settings)
        for name, path in settings.actions.items():
            actions[name] = _checked(_import(name, path), f"action {name!r} ({path})")(settings)
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


def _import(name: str, path: str) -> object:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"Action {name!r}: {path!r} is not of the form 'package.module:ClassName'."
        )
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigurationError(f"Action {name!r}: cannot load {path!r}: {error}") from None


def _checked(value: object, what: str) -> type[Action]:
    if not (isinstance(value, type) and issubclass(value, Action)):
        raise ConfigurationError(f"The {what} is not a subclass of agentcron.actions.Action.")
    return value
