"""Every setting has its row in the README's settings table, and every row names settings
that exist: a new setting cannot go undocumented, nor a removed one stay documented."""

from __future__ import annotations

import re
from pathlib import Path

from agentcron.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def documented() -> list[str]:
    """The names in the first column of the table that starts '| setting | env | meaning |'."""
    table = README.split("| setting | env | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.strip().splitlines()[1:] if line.startswith("|")]
    return [name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])]


def test_every_setting_is_in_the_readme_table() -> None:
    names = documented()
    assert len(names) == len(set(names)), "a setting documented twice"
    assert set(Settings.model_fields) - set(names) == set()


def test_the_table_names_only_settings() -> None:
    assert set(documented()) - set(Settings.model_fields) == set()


def test_each_row_names_its_variables() -> None:
    table = README.split("| setting | env | meaning |", 1)[1].split("\n\n", 1)[0]
    for row in table.strip().splitlines()[2:]:
        setting, env = row.split("|")[1:3]
        first = re.findall(r"`(\w+)`", setting)[0]
        shown = re.findall(r"`(AGENTCRON_\w+?)(?:_\.\.\.)?`", env)[0]
        assert f"AGENTCRON_{first.upper()}".startswith(shown), row
