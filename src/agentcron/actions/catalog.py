"""Each action described for people: what it does, its payload's fields and an example,
read from the action class itself (its payload model's JSON schema), never a second copy;
and where it comes from (an installed distribution's entry point, or the configuration)."""

from __future__ import annotations

import inspect
from typing import Any

from agentcron.abc import Action
from agentcron.actions.registry import ActionRegistry
from agentcron.errors import ConfigurationError
from agentcron.views import ActionSource, ActionView, PayloadField

_KINDS = {"array": "list"}  # else JSON's own names: string, integer, object...


def describe_all(registry: ActionRegistry) -> tuple[list[ActionView], list[str]]:
    """Every action of ``registry`` described, by name; and the problems of those that
    cannot be loaded (each names where the action comes from), which are left out."""
    views, problems = [], []
    for name in registry.names():
        try:
            action = registry.get(name)
        except ConfigurationError as error:
            problems.append(error.message)
            continue
        views.append(describe(action, registry.source(name), name=name))
    return views, problems


def describe(action: Action, source: ActionSource, *, name: str | None = None) -> ActionView:
    """The action as ``agentcron actions ls`` shows it, under ``name`` (what tasks call it,
    by default the class's own ``name``)."""
    model = getattr(type(action), "payload_model", None)  # a plugin may not declare one
    schema = model.model_json_schema(by_alias=True) if model is not None else {}
    required = set(schema.get("required", []))
    fields = [
        PayloadField(
            name=field,
            kind=_kind(spec),
            required=field in required,
            default=spec.get("default"),
            description=spec.get("description", ""),
        )
        for field, spec in schema.get("properties", {}).items()
    ]
    doc = inspect.getdoc(type(action)) or ""
    summary = action.summary or doc.split("\n\n")[0].replace("\n", " ")
    return ActionView(
        name or action.name, summary, fields, dict(action.payload_example), schema, source
    )


def _kind(spec: dict[str, Any]) -> str:
    """A JSON schema's form in words: 'string', 'URL', 'one of GET, POST', 'list of strings'."""
    if "enum" in spec:
        return "one of " + ", ".join(map(str, spec["enum"]))
    if "anyOf" in spec:
        forms = [_kind(option) for option in spec["anyOf"] if option.get("type") != "null"]
        return " or ".join(forms)
    kind = spec.get("type", "")
    if kind == "string" and spec.get("format") == "uri":
        return "URL"
    if kind == "array" and isinstance(spec.get("items"), dict) and spec["items"]:
        return f"list of {_kind(spec['items'])}s"
    values = spec.get("additionalProperties")
    if kind == "object" and isinstance(values, dict) and values:
        return f"object of {_kind(values)}s"
    return _KINDS.get(kind, kind or "anything")


__all__ = ["describe", "describe_all"]
