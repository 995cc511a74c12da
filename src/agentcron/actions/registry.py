"""Which actions exist: those the ``agentcron.actions`` entry points name (the built-in ones
among them) and those the configuration names. Each is imported when first used, so a
command that only makes reminders never imports the agent."""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points

from agentcron.abc import Action
from agentcron.config import Settings
from agentcron.errors import ConfigurationError, InvalidInputError

ENTRY_POINT_GROUP = "agentcron.actions"


class ActionRegistry:
    """Action instances by name, loaded on first use."""

    def __init__(self, settings: Settings, configured: dict[str, str]) -> None:
        self._settings = settings
        self._configured = configured
        self._sources: dict[str, EntryPoint | str] | None = None
        self._loaded: dict[str, Action] = {}

    @classmethod
    def load(cls, settings: Settings) -> ActionRegistry:
        """Every action of the entry-point group and of ``settings.actions``; a configured
        action replaces an entry point of the same name. Nothing is imported, and the
        installed packages are not even scanned for entry points, until an action is used."""
        for name, path in settings.actions.items():
            module, _, attribute = path.partition(":")
            if not module or not attribute:
                raise ConfigurationError(
                    f"Action {name!r}: {path!r} is not of the form 'package.module:ClassName'."
                )
        return cls(settings, dict(settings.actions))

    def _all_sources(self) -> dict[str, EntryPoint | str]:
        if self._sources is None:
            self._sources = {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}
            self._sources |= self._configured
        return self._sources

    def get(self, name: str) -> Action:
        """The action named ``name``; an unknown name is the person's mistake."""
        action = self._loaded.get(name)
        if action is not None:
            return action
        source = self._all_sources().get(name)
        if source is None:
            raise InvalidInputError(
                f"Unknown action '{name}'. Available: {', '.join(self.names())}."
            )
        action = _checked(_import(name, source), name)(self._settings)
        self._loaded[name] = action
        return action

    def names(self) -> list[str]:
        return sorted(self._all_sources())

    def preload(self) -> list[str]:
        """Load every action now (a long-running process, before its first runs); the
        problems of those that cannot load, which stay refused when used."""
        problems = []
        for name in self.names():
            try:
                self.get(name)
            except ConfigurationError as error:
                problems.append(error.message)
        return problems


def _import(name: str, source: EntryPoint | str) -> object:
    try:
        if isinstance(source, EntryPoint):
            return source.load()
        module_name, _, attribute = source.partition(":")
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        where = f"entry point {source.value}" if isinstance(source, EntryPoint) else repr(source)
        raise ConfigurationError(f"Action {name!r}: cannot load {where}: {error}") from None


def _checked(value: object, name: str) -> type[Action]:
    if not (isinstance(value, type) and issubclass(value, Action)):
        raise ConfigurationError(f"Action {name!r} is not a subclass of agentcron.actions.Action.")
    return value
