"""Which actions exist: those the ``agentcron.actions`` entry points name (the built-in ones
among them) and those the configuration names. Each is imported when first used, so a
command that only makes reminders never imports the agent."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points

from agentcron.abc import Action
from agentcron.config import Settings
from agentcron.errors import ConfigurationError, InvalidInputError
from agentcron.views import ActionSource

ENTRY_POINT_GROUP = "agentcron.actions"
_AGENTCRON = "agentcron"
"""The distribution whose entry points are the built-in actions."""


class ActionRegistry:
    """Action instances by name, loaded on first use."""

    def __init__(
        self,
        settings: Settings,
        configured: dict[str, str],
        configured_in: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._configured = configured
        self._configured_in = dict(configured_in or {})
        self._sources: dict[str, EntryPoint | str] | None = None
        self._loaded: dict[str, Action] = {}

    @classmethod
    def load(
        cls, settings: Settings, *, configured_in: Mapping[str, str] | None = None
    ) -> ActionRegistry:
        """Every action of the entry-point group and of ``settings.actions``; a configured
        action replaces an entry point of the same name. Nothing is imported, and the
        installed packages are not even scanned for entry points, until an action is used.

        ``configured_in``: where each configured action was given, by name, for people
        (``source``): an AGENTCRON_ACTIONS variable, an agentcron.toml file."""
        for name, path in settings.actions.items():
            module, _, attribute = path.partition(":")
            if not module or not attribute:
                raise ConfigurationError(
                    f"Action {name!r}: {path!r} is not of the form 'package.module:ClassName'."
                )
        return cls(settings, dict(settings.actions), configured_in)

    def _all_sources(self) -> dict[str, EntryPoint | str]:
        if self._sources is None:
            self._sources = {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}
            self._sources |= self._configured
        return self._sources

    def _found(self, name: str) -> EntryPoint | str:
        source = self._all_sources().get(name)
        if source is None:
            raise InvalidInputError(
                f"Unknown action '{name}'. Available: {', '.join(self.names())}."
            )
        return source

    def get(self, name: str) -> Action:
        """The action named ``name``; an unknown name is the person's mistake, one that
        cannot be loaded the operator's (the message says where it comes from)."""
        action = self._loaded.get(name)
        if action is not None:
            return action
        source = self._found(name)
        try:
            value = _import(source)
            if not (isinstance(value, type) and issubclass(value, Action)):
                raise self._unusable(name, "is not a subclass of agentcron.actions.Action.")
            action = value(self._settings)
        except ConfigurationError:
            raise  # the constructor's own, or the one above
        except Exception as error:  # a plugin's import or constructor may raise anything
            raise self._unusable(
                name, f"cannot be loaded: {type(error).__name__}: {error}"
            ) from None
        self._loaded[name] = action
        return action

    def _unusable(self, name: str, why: str) -> ConfigurationError:
        return ConfigurationError(f"Action {name!r} ({self.source(name).description}) {why}")

    def source(self, name: str) -> ActionSource:
        """Where the action named ``name`` comes from, from the installed distributions'
        metadata: nothing is imported."""
        found = self._found(name)
        if isinstance(found, str):
            return ActionSource("configured", found, configured_in=self._configured_in.get(name))
        dist = found.dist
        if dist is None:
            return ActionSource("entry_point", found.value)
        built_in = re.sub(r"[-_.]+", "-", dist.name).lower() == _AGENTCRON
        return ActionSource("entry_point", found.value, dist.name, dist.version, built_in)

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


def _import(source: EntryPoint | str) -> object:
    if isinstance(source, EntryPoint):
        return source.load()
    module_name, _, attribute = source.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
