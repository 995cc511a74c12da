"""Actions named in the configuration load beside the entry points, or fail with a clear message."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, Field

from agentcron.actions import Action, ActionContext, ActionRegistry, ActionResult
from agentcron.actions.catalog import describe, describe_all
from agentcron.actions.http import HttpPayload
from agentcron.config import Settings
from agentcron.errors import ConfigurationError, InvalidInputError
from agentcron.views import ActionSource


class Shout(Action):
    """A configured in-house action for these tests."""

    name: ClassVar[str] = "shout"

    async def run(self, context: ActionContext) -> ActionResult:
        return ActionResult(output=str(context.payload["message"]).upper())


class LoudPayload(BaseModel):
    message: str = Field(description="what to shout")
    times: int = Field(default=1, ge=1, le=5, description="how often")


class Loud(Shout):
    """Shout, with a payload of its own."""

    payload_model = LoudPayload


class Failing(Shout):
    """An action whose constructor raises (a plugin's may raise anything)."""

    def __init__(self, settings: Settings) -> None:
        raise RuntimeError("no weather service")


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
        (
            "agentcron_no_such_module:Thing",
            "(configured: agentcron_no_such_module:Thing) cannot be loaded: "
            "ModuleNotFoundError: No module named 'agentcron_no_such_module'",
        ),
        (
            f"{__name__}:Missing",
            f"(configured: {__name__}:Missing) cannot be loaded: AttributeError: ",
        ),
        (
            f"{__name__}:NOT_AN_ACTION",
            f"(configured: {__name__}:NOT_AN_ACTION) is not a subclass of "
            "agentcron.actions.Action.",
        ),
        (f"{__name__}:Failing", "cannot be loaded: RuntimeError: no weather service"),
    ],
)
def test_a_bad_configured_action_is_a_clear_configuration_error(path: str, message: str) -> None:
    """Refused when the configuration is read (a malformed path) or first used (the rest),
    naming where the action comes from."""
    with pytest.raises(ConfigurationError) as caught:
        ActionRegistry.load(Settings(actions={"bad": path})).get("bad")
    assert caught.value.message.startswith("Action 'bad'")
    assert message in caught.value.message


def test_preloading_loads_every_action_and_reports_the_broken_ones() -> None:
    registry = ActionRegistry.load(
        Settings(actions={"shout": f"{__name__}:Shout", "bad": f"{__name__}:NOT_AN_ACTION"})
    )
    problems = registry.preload()
    assert problems == [
        f"Action 'bad' (configured: {__name__}:NOT_AN_ACTION) is not a subclass of "
        "agentcron.actions.Action."
    ]
    assert isinstance(registry.get("shout"), Shout)


def test_every_built_in_example_is_a_payload_its_action_takes() -> None:
    settings = Settings(
        model="openai:gpt-4o-mini",
        shell_allow=["backup.sh"],
        mcp_servers={"prices": {"url": "http://127.0.0.1:9/mcp"}},
    )
    registry = ActionRegistry.load(settings)
    for name in ("reminder", "http", "shell", "agent"):
        view = describe(registry.get(name), registry.source(name))
        assert view.example, name
        assert registry.get(name).validate(view.example) == view.example
        assert {field.name for field in view.fields} >= set(view.example)
        assert all(field.description for field in view.fields), name


def test_a_plugin_is_described_from_its_docstring() -> None:
    registry = ActionRegistry.load(Settings(actions={"shout": f"{__name__}:Shout"}))
    view = describe(registry.get("shout"), registry.source("shout"))
    assert (view.summary, view.fields, view.example, view.payload_schema) == (
        "A configured in-house action for these tests.",
        [],
        {},
        {},
    )


def test_the_readme_shows_each_actions_own_example() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("#### Payloads")[1].split("```console")[0]
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| `")]
    shown = {cells[0].strip(" `"): json.loads(cells[2].strip(" `")) for cells in rows}
    registry = ActionRegistry.load(Settings())
    assert shown == {name: registry.get(name).payload_example for name in shown}
    assert sorted(shown) == ["agent", "http", "mcp_tool", "reminder", "shell"]


def test_a_built_in_action_comes_from_agentcrons_own_entry_point() -> None:
    registry = ActionRegistry.load(Settings())
    source = registry.source("http")
    assert source == ActionSource(
        kind="entry_point",
        target="agentcron.actions.http:HttpAction",
        distribution="agentcron",
        version=version("agentcron"),
        built_in=True,
    )
    assert source.description == (
        f"agentcron {version('agentcron')} (built in), "
        "entry point agentcron.actions.http:HttpAction"
    )
    assert {registry.source(name).built_in for name in ("reminder", "shell", "agent")} == {True}


def test_a_configured_action_comes_from_the_setting_that_names_it() -> None:
    """Even one that replaces a built-in action of the same name, and one that cannot load."""
    settings = Settings(
        actions={"reminder": f"{__name__}:Shout", "bad": "agentcron_no_such_module:Thing"}
    )
    registry = ActionRegistry.load(
        settings, configured_in={"reminder": "AGENTCRON_ACTIONS", "bad": "AGENTCRON_ACTIONS"}
    )
    assert registry.source("reminder") == ActionSource(
        kind="configured", target=f"{__name__}:Shout", configured_in="AGENTCRON_ACTIONS"
    )
    assert registry.source("reminder").description == (
        f"configured: {__name__}:Shout, in AGENTCRON_ACTIONS"
    )
    assert isinstance(registry.get("reminder"), Shout)
    assert registry.source("bad").description == (
        "configured: agentcron_no_such_module:Thing, in AGENTCRON_ACTIONS"
    )
    unknown = ActionRegistry.load(Settings(actions={"shout": f"{__name__}:Shout"}))
    assert unknown.source("shout").description == f"configured: {__name__}:Shout"
    with pytest.raises(InvalidInputError, match="Unknown action 'nope'"):
        unknown.source("nope")


def test_every_action_is_described_with_its_schema_and_source_the_broken_ones_apart() -> None:
    settings = Settings(actions={"loud": f"{__name__}:Loud", "bad": f"{__name__}:NOT_AN_ACTION"})
    where = dict.fromkeys(settings.actions, "agentcron.toml")
    views, problems = describe_all(ActionRegistry.load(settings, configured_in=where))
    by_name = {view.name: view for view in views}
    assert sorted(by_name) == ["agent", "http", "loud", "mcp_tool", "reminder", "shell"]
    assert problems == [
        f"Action 'bad' (configured: {__name__}:NOT_AN_ACTION, in agentcron.toml) is not a "
        "subclass of agentcron.actions.Action."
    ]
    loud = by_name["loud"]  # its name in the registry, not the class's own ('shout')
    assert loud.payload_schema == LoudPayload.model_json_schema()
    assert loud.payload_schema["properties"]["times"]["maximum"] == 5
    assert [(f.name, f.kind, f.required, f.default) for f in loud.fields] == [
        ("message", "string", True, None),
        ("times", "integer", False, 1),
    ]
    shown = loud.to_dict()
    assert shown["payload_schema"] == loud.payload_schema
    assert shown["source"] == {
        "kind": "configured",
        "target": f"{__name__}:Loud",
        "distribution": None,
        "version": None,
        "built_in": False,
        "configured_in": "agentcron.toml",
        "description": f"configured: {__name__}:Loud, in agentcron.toml",
    }
    assert by_name["http"].to_dict()["source"]["distribution"] == "agentcron"
    assert by_name["http"].payload_schema == HttpPayload.model_json_schema(by_alias=True)
    json.dumps([view.to_dict() for view in views])  # what actions ls --json prints
