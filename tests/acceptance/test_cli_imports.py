"""The CLI loads only what a command needs: help, the version and a schedule's preview never
import the store, the engine or the agent; a command on a current store never imports alembic."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import agentcron

HEAVY = ("sqlalchemy", "alembic", "pydantic_ai", "agentcron.engine", "agentcron.store")

_LOADED_AFTER = """
import sys
from agentcron.cli import main
sys.argv = ["agentcron", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print()
print(" ".join(sorted(sys.modules)))
"""


def loaded_after(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER, *args],
        capture_output=True, text=True, timeout=60, check=True, env=env,
    )  # fmt: skip
    return set(done.stdout.strip().splitlines()[-1].split())


@pytest.mark.parametrize(
    "args",
    [("--version",), ("--help",), ("schedule", "parse", "every day at 9", "--tz", "UTC")],
    ids=["version", "help", "schedule-parse"],
)
def test_light_commands_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = loaded_after(*args)
    assert [name for name in HEAVY if name in modules] == []


def test_a_command_on_a_current_store_imports_neither_alembic_nor_the_agent(
    tmp_path: Path,
) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "UTC", "PATH": "/usr/bin"}
    first = loaded_after("ls", env=env)  # creates the store
    assert "alembic" in first
    again = loaded_after("ls", env=env)
    assert "sqlalchemy" in again  # it did read the store
    unneeded = ("alembic", "pydantic_ai", "agentcron.engine.scheduler", "agentcron.engine.runner")
    assert [name for name in unneeded if name in again] == []


def test_the_version_is_the_projects() -> None:
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert agentcron.__version__ == project["project"]["version"]
