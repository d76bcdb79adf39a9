"""A registered model's routes → operations, from its field metadata.

The record schema is read off the view's fields (what a response holds),
the request bodies off the pydantic models that validate writes
(:class:`~ajaxkit.core.models.validation.WriteSchema`), and the list
parameters off the query rules, so the document says what the code does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from ajaxkit.core.models.bounds import bounded_type
from ajaxkit.core.models.query import MAX_OFFSET
from ajaxkit.core.models.validation import value_type
from ajaxkit.core.openapi.operations import security_for
from ajaxkit.core.openapi.problems import error_responses
from ajaxkit.core.openapi.schemas import SchemaTable
from ajaxkit.core.steps import SAFE_METHODS

if TYPE_CHECKING:
    from ajaxkit.core.models.repository import FieldInfo
    from ajaxkit.core.models.resource import ModelResource
    from ajaxkit.core.models.view import View, ViewLookup

__all__ = ["model_operations"]

_ETAG_HEADER = {
    "ETag": {
        "description": "The record's version; with `expand`, a tag of its own for that "
        "representation, which changes when an expanded row does.",
        "schema": {"type": "string"},
    }
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag last read, of the record or of its expanded representation; "
    "a stale one gives 412, `*` matches any current version.",
    "schema": {"type": "string"},
}
#: With ``require_if_match`` a write without the header is refused (428), and
#: so is ``*``, which would match whatever is stored.
_IF_MATCH_REQUIRED = {
    **_IF_MATCH,
    "required": True,
    "description": "The ETag last read, of the record or of its expanded representation; "
    "a stale one gives 412, `*` names no version: 428.",
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag held; an unchanged record answers 304.",
    "schema": {"type": "string"},
}


def model_operations(res: ModelResource, table: SchemaTable) -> dict[tuple[str, str], Any]:
    """``(route, method) → operation`` for every route ``res`` registered."""
    record = _record_schema(res, table)
    pk = {"name": "pk", "in": "path", "required": True, "schema": _pk_schema(res, table)}
    item = f"{res.name}/{{pk}}"
    ops: dict[tuple[str, str], Any] = {
        (res.name, "GET"): _list(res, table, record),
        (res.name, "POST"): _write(res, table, res.schema.full, record, "create", "201"),
        (item, "GET"): _get(res, record, pk),
        (item, "PATCH"): _write(res, table, res.schema.partial, record, "update", "200", pk),
        (item, "PUT"): _write(res, table, res.schema.replace, record, "update", "200", pk),
        (item, "DELETE"): _delete(res, pk),
    }
    for spec in res.actions.values():
        for method in spec.methods:
            ops[(f"{item}/{spec.name}", method.upper())] = _action(res, spec.name, method, pk)
    return ops


def _record_schema(res: ModelResource, table: SchemaTable) -> dict[str, Any]:
    name = f"{type(res.endpoint).__name__}Record"
    # One endpoint class may serve several models (the default one serves
    # every ``api.model(Model)``): each record its own name, ``…Record2``.
    return table.add(
        name,
        {
            "type": "object",
            "title": name,
            "properties": {f.name: _field_schema(f, table) for f in res.view.fields},
        },
    )


def _field_schema(info: FieldInfo, table: SchemaTable) -> dict[str, Any]:
    if info.is_relation:
        # A relation is its pk, or the related record when expanded.
        return {"description": f"A relation ({info.kind}); an object when expanded."}
    return table.of_type(value_type(info), "serialization")


def _pk_schema(res: ModelResource, table: SchemaTable) -> dict[str, Any]:
    schema = table.of_type(res.info.pk_field.python_type, "serialization")
    if schema.get("type") == "integer":
        # Path text: digits (a sign or spaces are refused like any other non-pk).
        return {"type": "string", "pattern": "^[0-9]+$"}
    return {"type": "string"}


def _base(res: ModelResource, op: str, route: str, method: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": f"{method.lower()}:{route}",
        "summary": f"{op} {res.name}",
        "tags": [res.name],
        "x-ajaxkit-endpoint": route,
    }
    doc["security"] = security_for(required=not res.endpoint.allow_anonymous)
    return doc


def _errors(res: ModelResource, **extra: bool) -> dict[str, Any]:
    return error_responses(
        BadRequest=True,
        NotAuthenticated=not res.endpoint.allow_anonymous,
        Forbidden=True,
        ValidationFailed=True,
        **extra,
    )


def _list_parameters(res: ModelResource, table: SchemaTable) -> list[dict[str, Any]]:
    rules = res.rules
    params: list[dict[str, Any]] = [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": rules.max_limit}),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
        _query("cursor", {"type": "string"}, "The `next_cursor` of the previous page."),
        _ordering(res),
        *_expand(res),
    ]
    if rules.search_fields:
        text = {"type": "string", "maxLength": rules.limits.max_search_length, **_NO_NUL}
        params.append(_query("search", text, "Text in " + ", ".join(rules.search_fields)))
    most = rules.limits.max_filter_values
    for name in sorted(rules.filter_fields):
        value = _filter_value(res, table, name)
        params.append(_query(name, value, "Equal to."))
        params.append(_any_of(f"{name}__in", value, most))
    return params


def _any_of(name: str, value: dict[str, Any], most: int) -> dict[str, Any]:
    """``<field>__in``: values split at commas, so a text item holds none;
    at most ``most`` values (``max_filter_values``, which counts every
    filter's values in one request)."""
    item = {**value, **_NO_COMMA} if value.get("type") == "string" else value
    many = {"type": "array", "items": item, "maxItems": most}
    described = f"Any of (at most {most} filter values in one request)."
    return {**_query(name, many, described), "style": "form", "explode": False}


#: No database stores NUL in text, so a list refuses a value holding one.
_NO_NUL = {"pattern": "^[^\\u0000]*$"}
#: An ``__in`` list is split at commas, so a text item holds none.
_NO_COMMA = {"pattern": "^[^,\\u0000]*$"}


def _ordering(res: ModelResource) -> dict[str, Any]:
    """Terms from ``ordering_fields``, ``-`` for descending, comma-separated,
    at most ``max_ordering_terms`` of them (as :mod:`~ajaxkit.core.models.limits` counts)."""
    rules = res.rules
    term = "-?" + _one_of(rules.ordering_fields)
    most = rules.limits.max_ordering_terms
    schema = {"type": "string", "pattern": f"^{term}(,{term}){{0,{most - 1}}}$"}
    names = ", ".join(sorted(rules.ordering_fields))
    return _query("ordering", schema, f"Comma-separated, `-` for descending: {names}.")


def _expand(res: ModelResource) -> list[dict[str, Any]]:
    """The ``expand`` parameter, naming every path that expands; none when
    no relation can (any value but an empty one would be refused)."""
    paths = sorted(_expandable(res.view, res.lookup, res.endpoint.max_expand_depth))
    if not paths:
        return []
    path = _one_of(paths)
    schema = {"type": "string", "pattern": f"^{path}(,{path})*$"}
    return [_query("expand", schema, "Relations to inline, comma-separated: " + ", ".join(paths))]


def _expandable(view: View, lookup: ViewLookup, depth: int, prefix: str = "") -> Iterator[str]:
    if depth < 1:
        return
    for info in view.fields:
        related = lookup(info.related_model) if info.is_relation else None
        if related is not None:
            yield prefix + info.name
            yield from _expandable(related, lookup, depth - 1, f"{prefix}{info.name}.")


def _one_of(names: Iterable[str]) -> str:
    return "(" + "|".join(re.escape(n) for n in sorted(names)) + ")"


def _filter_value(res: ModelResource, table: SchemaTable, name: str) -> dict[str, Any]:
    # What the list converts a filter value to (a relation's: its pk's type);
    # a field with choices takes one of them, as a write does.
    info = res.rules.fields[name]
    taken = Literal[tuple(info.choices)] if info.choices else bounded_type(info)
    schema = table.of_type(taken, "validation")
    if schema.get("type") == "string":
        schema = {**schema, "maxLength": res.rules.limits.max_filter_length, **_NO_NUL}
    return schema


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    found = {"name": name, "in": "query", "required": False, "schema": schema}
    return {**found, "description": description} if description else found


def _list(res: ModelResource, table: SchemaTable, record: dict[str, Any]) -> dict[str, Any]:
    page = {
        "type": "object",
        "required": ["count", "next_cursor", "results"],
        "properties": {
            "count": {"type": ["integer", "null"], "description": "`null` on cursor pages."},
            "next_cursor": {"type": ["string", "null"]},
            "results": {"type": "array", "items": record},
        },
    }
    return {
        **_base(res, "list", res.name, "GET"),
        "parameters": _list_parameters(res, table),
        "responses": {"200": _json("A page of records.", page), **_errors(res)},
    }


def _json(description: str, schema: dict[str, Any], etag: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"description": description}
    found["content"] = {"application/json": {"schema": schema}}
    if etag:
        found["headers"] = _ETAG_HEADER
    return found


def _get(res: ModelResource, record: dict[str, Any], pk: dict[str, Any]) -> dict[str, Any]:
    route = f"{res.name}/{{pk}}"
    return {
        **_base(res, "get", route, "GET"),
        "parameters": [pk, *_expand(res), _IF_NONE_MATCH],
        "responses": {
            "200": _json("The record.", record, etag=True),
            "304": {"description": "Not modified.", "headers": _ETAG_HEADER},
            **_errors(res, NotFound=True),
        },
    }


def _write(  # noqa: PLR0917 - one builder for create and both updates
    res: ModelResource,
    table: SchemaTable,
    model: Any,
    record: dict[str, Any],
    op: str,
    status: str,
    pk: dict[str, Any] | None = None,
) -> dict[str, Any]:
    route = res.name if pk is None else f"{res.name}/{{pk}}"
    method = "POST" if pk is None else ("PATCH" if model is res.schema.partial else "PUT")
    params = [*_expand(res)] if pk is None else [pk, *_expand(res), _if_match(res)]
    guarded = pk is not None
    return {
        **_base(res, op, route, method),
        "parameters": params,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _write_body(table, model)}},
        },
        "responses": {
            status: _json("The record as stored.", record, etag=True),
            **_errors(
                res,
                NotFound=guarded,
                Conflict=True,
                PreconditionFailed=guarded,
                PreconditionRequired=guarded and res.endpoint.require_if_match,
            ),
        },
    }


def _write_body(table: SchemaTable, model: Any) -> dict[str, Any]:
    """A write model's schema, inline (one per operation) and without ``null`` defaults.

    The models default a field to ``None`` to mean "not sent", which JSON
    Schema would read as a ``null`` default the field's type refuses.
    """
    schema = table.of_type(model, hoist=False)
    for member in schema.get("properties", {}).values():
        if member.get("default", 0) is None:
            del member["default"]
    return schema


def _delete(res: ModelResource, pk: dict[str, Any]) -> dict[str, Any]:
    route = f"{res.name}/{{pk}}"
    return {
        **_base(res, "delete", route, "DELETE"),
        "parameters": [pk, _if_match(res)],
        "responses": {
            "204": {"description": "Deleted."},
            **_errors(
                res,
                NotFound=True,
                Conflict=True,
                PreconditionFailed=True,
                PreconditionRequired=res.endpoint.require_if_match,
            ),
        },
    }


def _action(res: ModelResource, name: str, method: str, pk: dict[str, Any]) -> dict[str, Any]:
    route = f"{res.name}/{{pk}}/{name}"
    return {
        **_base(res, name, route, method.upper()),
        "parameters": [
            pk,
            *_expand(res),
            _if_match(res, writes=method.upper() not in SAFE_METHODS),
        ],
        "responses": {
            "200": _json("The action's result (the record when it returns nothing).", {}),
            **_errors(
                res,
                NotFound=True,
                Conflict=True,
                PreconditionFailed=True,
                # An action checks If-Match as every write of the record does;
                # one answering GET reads, and is never made to name a version.
                PreconditionRequired=res.endpoint.require_if_match
                and method.upper() not in SAFE_METHODS,
            ),
        },
    }


def _if_match(res: ModelResource, *, writes: bool = True) -> dict[str, Any]:
    """The ``If-Match`` parameter of an operation of ``res``, as its endpoint
    checks it: required of writes with ``require_if_match``, never of reads."""
    return _IF_MATCH_REQUIRED if writes and res.endpoint.require_if_match else _IF_MATCH
