"""Where settings come from, beside their defaults: AGENTCRON_* variables, then agentcron.toml
in the current folder, then agentcron.toml in the user's config folder.

Every command and ``serve`` read the same places, so a setting written in the user's file
holds for all of them wherever they run. Names that are not settings are reported (one
warning each, with the closest setting) rather than silently ignored.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcron.errors import ConfigurationError

ENV_PREFIX = "AGENTCRON_"
FILE_NAME = "agentcron.toml"
TRACEBACK = "AGENTCRON_TRACEBACK"
"""Set, the CLI shows the traceback of an unexpected error."""
NOT_SETTINGS = frozenset({TRACEBACK})
"""AGENTCRON_* variables agentcron reads that are not settings."""
NOT_SETTINGS_PREFIXES = ("AGENTCRON_TEST_", "AGENTCRON_BENCH_")
"""The test suite's and the benchmarks' own variables (AGENTCRON_TEST_PG, AGENTCRON_BENCH_PG)."""


@dataclass(frozen=True)
class SettingsFile:
    """One agentcron.toml: its settings and the keys that are not settings."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def user_config_file() -> Path:
    """agentcron.toml in the user's config folder ($XDG_CONFIG_HOME/agentcron, by default
    ~/.config/agentcron), found the way the data folder is (platformdirs)."""
    from platformdirs import user_config_path  # noqa: PLC0415 - only when settings are read

    return user_config_path("agentcron") / FILE_NAME


def file_paths() -> list[Path]:
    """The agentcron.toml files looked for, the first one winning: the current folder's,
    then the user's."""
    paths = [Path.cwd() / FILE_NAME, user_config_file()]
    if paths[0].resolve() == paths[1].resolve():
        return paths[:1]
    return paths


def read_files(settings: Collection[str]) -> list[SettingsFile]:
    """The agentcron.toml files that exist, first one winning; ``settings`` names the keys
    kept (compared without case, as the settings themselves)."""
    return [found for path in file_paths() if (found := read_file(path, settings)) is not None]


def read_file(path: Path, settings: Collection[str]) -> SettingsFile | None:
    """One agentcron.toml, or None when there is none; a broken file is a ConfigurationError."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(
            f"{FILE_NAME} in {path.parent} is not valid TOML ({error}); fix or remove it."
        ) from None
    except (UnicodeDecodeError, OSError) as error:
        raise ConfigurationError(
            f"{FILE_NAME} in {path.parent} cannot be read ({error}); fix or remove it."
        ) from None
    known = {key: value for key, value in data.items() if key.lower() in settings}
    return SettingsFile(path, known, [key for key in data if key not in known])


def env_name(setting: str) -> str:
    return f"{ENV_PREFIX}{setting.upper()}"


def unknown_names(
    environ: Mapping[str, str], files: Iterable[SettingsFile], settings: Collection[str]
) -> list[str]:
    """One warning per AGENTCRON_* variable or agentcron.toml key that is not a setting."""
    variables = sorted(map(env_name, settings))
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in variables or _read_elsewhere(upper):
            continue
        warnings.append(f"{name} is not a setting; {_closest(upper, variables, ENV_PREFIX)}")
    names = sorted(settings)
    for found in files:
        for key in found.unknown:
            where = f"{key} in {found.path}"
            warnings.append(f"{where} is not a setting; {_closest(key.lower(), names)}")
    return warnings


def _read_elsewhere(variable: str) -> bool:
    return variable in NOT_SETTINGS or variable.startswith(NOT_SETTINGS_PREFIXES)


def _closest(name: str, candidates: list[str], prefix: str = "") -> str:
    """The setting ``name`` most likely meant, compared without the prefix they share."""
    import difflib  # noqa: PLC0415 - only when there is something to warn of

    bare = [candidate.removeprefix(prefix) for candidate in candidates]
    match = difflib.get_close_matches(name.removeprefix(prefix), bare, n=1)
    if match:
        return f"did you mean {prefix}{match[0]}?"
    return "'agentcron config show' lists the settings."


def origins(
    environ: Mapping[str, str], files: Iterable[SettingsFile], settings: Iterable[str]
) -> dict[str, str]:
    """Where each setting's value comes from: its variable, a file, or ``default``."""
    variables = {name.upper() for name in environ}
    given = [(str(f.path), {key.lower() for key in f.values}) for f in files]
    found: dict[str, str] = {}
    for setting in settings:
        if env_name(setting) in variables:
            found[setting] = env_name(setting)
        else:
            found[setting] = next((path for path, keys in given if setting in keys), "default")
    return found


def entry_origins(
    environ: Mapping[str, str], files: Iterable[SettingsFile], setting: str
) -> dict[str, str]:
    """Where each entry of a table setting (``actions``) comes from: its variable or a file.
    A table's entries are merged from every source (pydantic-settings does so), the first
    source winning for an entry given twice, so each entry has an origin of its own."""
    variable = env_name(setting)
    found: dict[str, str] = {}
    for name, value in environ.items():
        if name.upper() == variable:
            try:
                table = json.loads(value)
            except ValueError:
                table = None  # reading the settings refused it already
            if isinstance(table, dict):
                found |= dict.fromkeys(table, variable)
    for file in files:
        for key, table in file.values.items():
            if key.lower() == setting and isinstance(table, dict):
                for entry in table:
                    found.setdefault(entry, str(file.path))
    return found
