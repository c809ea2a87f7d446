"""The OpenAPI 3.1 components, generated from the contract's Structs.

``REGISTRY`` names every request and response body the API documents; the web
layer's ``openapi`` module builds the paths around what ``components`` returns.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from . import figures, replies, rewards, webhooks
from .bodies import CustomerInput, FlagDecision, LinkInput
from .events import EVENT_CLASSES, Event, EventBatch

__all__ = ["REGISTRY", "components", "ecma", "example_of"]

REF = "#/components/schemas/{name}"

# Component name -> the type it documents. A Struct's name is its component's.
REGISTRY: dict[str, Any] = {
    "Event": Event,
    "EventBatch": EventBatch,
    **{kind.__name__: kind for kind in EVENT_CLASSES.values()},
    "CustomerInput": CustomerInput,
    "LinkInput": LinkInput,
    "FlagDecision": FlagDecision,
    "WebhookInput": webhooks.WebhookInput,
    **{
        name: getattr(module, name)
        for module in (replies, figures, webhooks, rewards)
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), msgspec.Struct)
    },
}


def example_of(kind: Any) -> Any:
    """The example declared beside a type (its ``example``), or None."""
    if isinstance(kind, type):
        return getattr(kind, "example", None)
    # A union documents itself by its first member's example.
    members = getattr(kind, "__args__", ())
    return example_of(members[0]) if members else None


def components(registry: dict[str, Any] | None = None) -> dict[str, dict]:
    """JSON Schema 2020-12 for each registered type, as OpenAPI 3.1 takes them."""
    registry = REGISTRY if registry is None else registry
    names = list(registry)
    schemas, found = msgspec.json.schema_components(
        [registry[name] for name in names], ref_template=REF
    )
    # A union has no name of its own in msgspec: it takes its registry name.
    for name, schema in zip(names, schemas, strict=True):
        if "$ref" not in schema:
            found[name] = schema
    for name, schema in found.items():
        if "description" in schema:  # a docstring, as one paragraph
            schema["description"] = " ".join(schema["description"].split())
        example = example_of(registry.get(name)) if name in registry else None
        if example is None:
            example = example_of(_by_name(name))
        if example is not None:
            schema["examples"] = [example]
    return ecma(found)


def _by_name(name: str) -> Any:
    for module in (replies, figures, webhooks, rewards):
        if isinstance(getattr(module, name, None), type):
            return getattr(module, name)
    return None


def ecma(schema: Any) -> Any:
    """The patterns as ECMA-262 reads them: ``\\Z`` (Python's very end) is ``$``."""
    if isinstance(schema, dict):
        return {
            key: re.sub(r"\\Z$", "$", value)
            if key == "pattern" and isinstance(value, str)
            else ecma(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [ecma(item) for item in schema]
    return schema
