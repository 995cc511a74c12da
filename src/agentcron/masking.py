"""Secrets never printed whole: which settings are secret is said once, on their fields.

A field typed ``SecretStr`` is secret by its type; any other field that may carry one (a
database URL with a password, an MCP server's environment) says so with ``Secret`` in its
``Annotated`` metadata, naming how to mask it. ``shown`` applies both to a whole model, so
that every output of settings (``agentcron config show``, errors) masks the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from agentcron.secrets import MASK, mask_url

__all__ = ["MASK", "Secret", "mask_url", "mask_values", "shown"]


@dataclass(frozen=True)
class Secret:
    """Field metadata: the value may hold a secret; ``mask`` gives what may be shown."""

    mask: Callable[[Any], Any]


def mask_values(mapping: Mapping[str, Any]) -> dict[str, str]:
    """The keys of ``mapping``, every value masked (an environment given to a program)."""
    return dict.fromkeys(mapping, MASK)


def shown(model: BaseModel) -> dict[str, Any]:
    """The model's fields as JSON-ready values, every secret masked."""
    fields: dict[str, FieldInfo] = type(model).model_fields
    return {name: _shown(info, getattr(model, name)) for name, info in fields.items()}


def _shown(info: FieldInfo | None, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return MASK
    secret = next((m for m in (info.metadata if info else ()) if isinstance(m, Secret)), None)
    if secret is not None:
        return secret.mask(value)
    if isinstance(value, BaseModel):
        return shown(value)
    if isinstance(value, Mapping):
        return {key: _shown(None, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(None, item) for item in value]
    return to_jsonable_python(value)
