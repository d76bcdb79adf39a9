"""JSON Schemas from Python types, collected into one ``components`` table.

pydantic writes each type's schema with its nested models under ``$defs``;
here every schema is written with references into
``#/components/schemas/`` and the definitions are gathered once, so two
endpoints sharing a model share one component.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import PydanticSerializationError, core_schema

from ajaxkit.types import UploadedFile

__all__ = ["REF_PREFIX", "SchemaTable"]

REF_PREFIX = "#/components/schemas/"
#: What a component name may not hold (OpenAPI: ``^[a-zA-Z0-9.\-_]+$``).
_UNNAMEABLE = re.compile(r"[^a-zA-Z0-9.\-_]")
#: Core schema types whose JSON Schema is a named object worth a component.
_NAMED = ("model", "dataclass")
_NAIVE = "ISO 8601 {}; with a UTC offset only when the value has one."


class _Lenient(GenerateJsonSchema):
    """Documents what pydantic cannot describe (a handler's own types) as ``{}``.

    A schema that says nothing is honest: the value is encoded by the
    registry's encoder, which knows types pydantic does not.
    """

    def handle_invalid_for_json_schema(
        self, schema: core_schema.CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        return {}

    def is_instance_schema(self, schema: core_schema.IsInstanceSchema) -> JsonSchemaValue:
        if schema["cls"] is UploadedFile:
            return {"type": "string", "format": "binary"}
        return {}

    def callable_schema(self, schema: core_schema.CallableSchema) -> JsonSchemaValue:
        return {}

    # JSON carries bytes as text (pydantic's default: their UTF-8 decoding),
    # never as raw bytes: ``format: binary`` would say a file (a Blob).
    def bytes_schema(self, schema: core_schema.BytesSchema) -> JsonSchemaValue:
        found = super().bytes_schema(schema)
        if found.get("format") == "binary":
            del found["format"]
        return found

    # JSON Schema's date-time and time formats (RFC 3339) require an offset,
    # but a naive value is encoded without one: claim the format only for
    # values that must be aware.
    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        if schema.get("tz_constraint") == "aware":
            return {"type": "string", "format": "date-time"}
        return {"type": "string", "description": _NAIVE.format("date and time")}

    def time_schema(self, schema: core_schema.TimeSchema) -> JsonSchemaValue:
        if schema.get("tz_constraint") == "aware":
            return {"type": "string", "format": "time"}
        return {"type": "string", "description": _NAIVE.format("time")}


class SchemaTable:
    """The ``components/schemas`` of one document, filled as schemas are made."""

    def __init__(self, components: dict[str, Any] | None = None) -> None:
        self.components: dict[str, Any] = dict(components or {})

    def of_type(
        self, annotation: Any, mode: JsonSchemaMode = "validation", *, hoist: bool = True
    ) -> dict[str, Any]:
        """The schema of ``annotation``; ``{}`` for ``Any`` or what cannot be described."""
        if annotation is Any:
            return {}
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        except Exception:  # any type pydantic refuses is simply undocumented
            return {}
        return self.of_adapter(adapter, mode, hoist=hoist)

    def of_adapter(
        self, adapter: TypeAdapter[Any], mode: JsonSchemaMode = "validation", *, hoist: bool = True
    ) -> dict[str, Any]:
        """The schema of what ``adapter`` validates, its definitions moved to the table.

        With ``hoist``, a model's own schema becomes a component too (``User``
        rather than its members inline), so declarations name it.
        """
        try:
            schema = adapter.json_schema(
                mode=mode, ref_template=REF_PREFIX + "{model}", schema_generator=_Lenient
            )
        except (PydanticSerializationError, TypeError, ValueError):
            return {}
        definitions: dict[str, Any] = schema.pop("$defs", {})
        renamed = self._place(definitions)
        named: dict[str, Any] = _renamed(schema, renamed)
        if hoist and adapter.core_schema.get("type") in _NAMED and "title" in named:
            # The name pydantic gives the model's definitions: ``Page[Item]``
            # is ``Page_Item_``, as OpenAPI's component names allow.
            return self.add(_UNNAMEABLE.sub("_", str(named["title"])), named)
        return named

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """A reference to ``schema`` as a component named ``name``, or ``name2``,
        ``name3``… when another schema holds the name already."""
        return {"$ref": REF_PREFIX + self._free(name, schema)}

    def _free(self, name: str, schema: dict[str, Any]) -> str:
        candidate, n = name, 1
        while self.components.setdefault(candidate, schema) != schema:
            n += 1
            candidate = f"{name}{n}"
        return candidate

    def _place(self, definitions: dict[str, Any]) -> dict[str, str]:
        """Add one generation's definitions, each under a name that is its own.

        pydantic names a definition by its class (``User``), so two models of
        one name from two modules, or a model read in one schema and written
        in another (a computed field is written only), meet under one name
        across generations.  A definition that clashes is renamed, and that
        changes what refers to it, so renaming goes on until nothing clashes.
        """
        renamed: dict[str, str] = {}
        while True:
            clash = next(
                (
                    name
                    for name, definition in definitions.items()
                    if name not in renamed
                    and self.components.get(name, _renamed(definition, renamed))
                    != _renamed(definition, renamed)
                ),
                None,
            )
            if clash is None:
                break
            renamed[clash] = self._unused(clash, definitions[clash], renamed)
        for name, definition in definitions.items():
            self._free(renamed.get(name, name), _renamed(definition, renamed))
        return renamed

    def _unused(self, name: str, definition: Any, renamed: dict[str, str]) -> str:
        """The first of ``name2``, ``name3``… free or holding ``definition`` already."""
        n = 2
        while True:
            candidate = f"{name}{n}"
            held = self.components.get(candidate)
            if held is None or held == _renamed(definition, {**renamed, name: candidate}):
                return candidate
            n += 1


def _renamed(value: Any, renamed: dict[str, str]) -> Any:
    """``value`` with its references to renamed definitions following them."""
    if not renamed:
        return value
    if isinstance(value, list):
        return [_renamed(item, renamed) for item in value]
    if not isinstance(value, dict):
        return value
    found = {key: _renamed(item, renamed) for key, item in value.items()}
    ref = found.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref.removeprefix(REF_PREFIX)
        found["$ref"] = REF_PREFIX + renamed.get(name, name)
    return found
