"""Actions named in the configuration load beside the entry points, or fail with a clear message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from agentcron.actions import Action, ActionContext, ActionRegistry, ActionResult
from agentcron.actions.catalog import describe
from agentcron.config import Settings
from agentcron.errors import ConfigurationError


class Shout(Action):
    """A configured in-house action for these tests."""

    name: ClassVar[str] = "shout"

    async def run(self, context: ActionContext) -> ActionResult:
        return ActionResult(output=str(context.payload["message"]).upper())


NOT_AN_ACTION = object()


def test_a_configured_action_loads_beside_the_built_in_ones() -> None:
    settings = Settings(actions={"shout": f"{__name__}:Shout"})
    registry = ActionRegistry.load(settings)
    assert isinstance(registry.get("shout"), Shout)
    assert {"reminder", "http", "shell", "shout"} <= set(registry.names())


def test_actions_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCRON_ACTIONS", f'{{"loud": "{__name__}:Shout"}}')
    assert isinstance(ActionRegistry.load(Settings()).get("loud"), Shout)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_colon_here", "is not of the form 'package.module:ClassName'"),
        ("agentcron_no_such_module:Thing", "cannot load 'agentcron_no_such_module:Thing'"),
        (f"{__name__}:Missing", "cannot load"),
        (f"{__name__}:NOT_AN_ACTION", "is not a subclass of agentcron.actions.Action"),
    ],
)
def test_a_bad_configured_action_is_a_clear_configuration_error(path: str, message: str) -> None:
    """Refused when the configuration is read (a malformed path) or first used (the rest)."""
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")) as caught:
        ActionRegistry.load(Settings(actions={"bad": path})).get("bad")
    assert "'bad'" in caught.value.message


def test_preloading_loads_every_action_and_reports_the_broken_ones() -> None:
    registry = ActionRegistry.load(
        Settings(actions={"shout": f"{__name__}:Shout", "bad": f"{__name__}:NOT_AN_ACTION"})
    )
    problems = registry.preload()
    assert problems == ["Action 'bad' is not a subclass of agentcron.actions.Action."]
    assert isinstance(registry.get("shout"), Shout)


def test_every_built_in_example_is_a_payload_its_action_takes() -> None:
    settings = Settings(
        model="openai:gpt-4o-mini",
        shell_allow=["backup.sh"],
        mcp_servers={"prices": {"url": "http://127.0.0.1:9/mcp"}},
    )
    registry = ActionRegistry.load(settings)
    for name in ("reminder", "http", "shell", "agent"):
        view = describe(registry.get(name))
        assert view.example, name
        assert registry.get(name).validate(view.example) == view.example
        assert {field.name for field in view.fields} >= set(view.example)
        assert all(field.description for field in view.fields), name


def test_a_plugin_is_described_from_its_docstring() -> None:
    registry = ActionRegistry.load(Settings(actions={"shout": f"{__name__}:Shout"}))
    view = describe(registry.get("shout"))
    assert (view.summary, view.fields, view.example) == (
        "A configured in-house action for these tests.",
        [],
        {},
    )


def test_the_readme_shows_each_actions_own_example() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("#### Payloads")[1].split("```console")[0]
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| `")]
    shown = {cells[0].strip(" `"): json.loads(cells[2].strip(" `")) for cells in rows}
    registry = ActionRegistry.load(Settings())
    assert shown == {name: describe(registry.get(name)).example for name in shown}
    assert sorted(shown) == ["agent", "http", "mcp_tool", "reminder", "shell"]
