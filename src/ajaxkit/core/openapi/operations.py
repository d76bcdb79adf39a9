"""One handler endpoint → its OpenAPI operations.

Nothing is re-derived from the signature: the binder built at registration
(:mod:`ajaxkit.core.binding`) already knows the parameters, which are path
parameters, lists, files, or one pydantic model taking the whole input; its
validation adapter is the parameters' schema.  Where the values come from
follows the binder's rule: the query string for GET and DELETE, the body
for POST, PUT and PATCH.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from ajaxkit.core.binding import Binder
from ajaxkit.core.body import BODY_METHODS
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.idempotency import IdempotencyConfig
from ajaxkit.core.openapi.paths import route_parameters
from ajaxkit.core.openapi.problems import error_responses
from ajaxkit.core.openapi.schemas import SchemaTable
from ajaxkit.core.ratelimit import RateLimitConfig
from ajaxkit.core.results import status_tuple_body
from ajaxkit.core.streams import NDJSON_TYPE, Stream
from ajaxkit.types import AjaxResponse

__all__ = [
    "SECURITY_SCHEME",
    "operation",
    "path_parameters",
    "security_for",
    "with_policies",
]

#: The security scheme login-protected operations name (the framework's session).
SECURITY_SCHEME = "session"
_NO_CONTENT = {"description": "No content: the handler answered None."}
_ANY_MEDIA: dict[str, Any] = {"*/*": {"schema": {}}}
_IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Unique per intended request: a retry with the same key is answered once.",
    # 1-255 visible ASCII characters, as the step accepts (quotes optional).
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
_CHOSEN_STATUS = "The handler's result, with the status it returned beside it."
_ANY_SUCCESS = "Another success the handler chose: a (body, status) tuple or a response of its own."


def operation(endpoint: Endpoint, method: str, table: SchemaTable) -> dict[str, Any]:
    """The operation object for ``method`` on ``endpoint``."""
    binder = endpoint.shape.binder
    parameters = path_parameters(endpoint.route, binder, table)
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}:{endpoint.route}",
        "summary": _summary(endpoint),
        "x-ajaxkit-endpoint": endpoint.route,
    }
    body = None
    if binder is not None and method in BODY_METHODS:
        body = _request_body(binder, table)
    elif binder is not None:
        parameters += _query_parameters(binder, table)
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    protected = endpoint.login_required or endpoint.options.get("permission") is not None
    op["responses"] = {
        **_success(endpoint, table),
        **error_responses(
            BadRequest=True,
            NotAuthenticated=endpoint.login_required,
            Forbidden=endpoint.options.get("permission") is not None,
            ValidationFailed=binder is not None,
        ),
    }
    if protected:
        op["security"] = security_for(required=endpoint.login_required)
    return _with_extra(op, getattr(endpoint.func, "__ajaxkit_openapi__", None))


def _with_extra(op: dict[str, Any], extra: Any) -> dict[str, Any]:
    """``op`` completed by what a handler declares of itself.

    A handler reading the request directly (``request.query.getlist``) can
    say so with ``__ajaxkit_openapi__ = {"parameters": [...], "responses":
    {...}}``: its parameters are added, its responses replace those with
    the same status.
    """
    if not isinstance(extra, dict):
        return op
    if extra.get("parameters"):
        op["parameters"] = [*op.get("parameters", []), *extra["parameters"]]
    declared = extra.get("responses", {})
    responses = op["responses"]
    if any(str(status).startswith("2") for status in declared):
        # The handler says how it succeeds: its annotation's guesses go.
        responses = {k: v for k, v in responses.items() if not k.startswith("2")}
    op["responses"] = {**declared, **{k: v for k, v in responses.items() if k not in declared}}
    return op


def with_policies(op: dict[str, Any], endpoint: Endpoint, method: str) -> dict[str, Any]:
    """``op`` (a handler's or a model's) with what the endpoint's policy steps add.

    Where an ``Idempotency-Key`` is honoured (POST and PATCH, unless
    ``idempotency=False``), a key reused for another request is a 422
    ``idempotency_key_reused`` without ``errors[]`` (rule I2); with
    ``idempotency="required"`` a request without the header is refused
    (rule I5), so the header is a required parameter.  A ``rate`` limit
    refuses with a 429 and its ``Retry-After``.
    """
    for bound in endpoint.steps_for(method):
        if isinstance(bound.config, RateLimitConfig):
            op = {**op, "responses": {**op["responses"], **error_responses(TooManyRequests=True)}}
        if isinstance(bound.config, IdempotencyConfig):
            responses = {**op["responses"]}
            if "422" in responses:
                responses["422"] = {"$ref": "#/components/responses/ValidationFailedOrKeyReused"}
            op = {**op, "responses": responses}
            if bound.config.mode == "required":
                op["parameters"] = [*op.get("parameters", []), _IDEMPOTENCY_KEY]
    return op


def security_for(*, required: bool) -> list[dict[str, list[str]]]:
    """The security requirement: the session, optional unless login is required."""
    return [{SECURITY_SCHEME: []}] if required else [{}, {SECURITY_SCHEME: []}]


def _summary(endpoint: Endpoint) -> str:
    doc = inspect.getdoc(endpoint.func) or ""
    return doc.splitlines()[0] if doc else endpoint.route


def path_parameters(route: str, binder: Binder | None, table: SchemaTable) -> list[dict[str, Any]]:
    """The path parameters of ``route``, typed by the handler where it binds them."""
    props = _properties(binder, table) if binder is not None else {}
    params = []
    for name, converter in route_parameters(route):
        schema = props.get(name) or (
            {"type": "string", "pattern": "^[0-9]+$"} if converter == "int" else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _properties(binder: Binder, table: SchemaTable) -> dict[str, Any]:
    schema = table.of_adapter(binder.adapter, hoist=False)
    props: dict[str, Any] = schema.get("properties", {})
    return props


def _bound_fields(binder: Binder, table: SchemaTable) -> tuple[dict[str, Any], set[str]]:
    """The non-path parameters' schemas and which are required."""
    schema = table.of_adapter(binder.adapter, hoist=False)
    props = {
        n: _file_schema(n, binder) if n in binder.file_names else s
        for n, s in schema.get("properties", {}).items()
        if n not in binder.path_names
    }
    required = {n for n in schema.get("required", []) if n in props}
    return props, required


def _file_schema(name: str, binder: Binder) -> dict[str, Any]:
    one = {"type": "string", "format": "binary"}
    return {"type": "array", "items": one} if name in binder.list_names else one


def _query_parameters(binder: Binder, table: SchemaTable) -> list[dict[str, Any]]:
    props, required = _bound_fields(binder, table)
    params = [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _query_schema(schema, name in required),
            **({"style": "form", "explode": True} if name in binder.list_names else {}),
        }
        for name, schema in props.items()
        if name not in binder.file_names
    ]
    if binder.whole_adapter is not None and binder.whole_input is not None:
        params.append(
            {
                "name": binder.whole_input,
                "in": "query",
                "required": True,
                "style": "form",
                "explode": True,
                "schema": table.of_adapter(binder.whole_adapter),
            }
        )
    return params


def _query_schema(schema: dict[str, Any], required: bool) -> dict[str, Any]:
    """``schema`` as a query string can meet it.

    An empty list is no ``?ids=`` at all, which a required parameter's
    binder refuses as missing: in the query a required list has one item
    at least (a JSON body can still send ``[]``).
    """
    if required and schema.get("type") == "array" and "minItems" not in schema:
        return {**schema, "minItems": 1}
    return schema


def _request_body(binder: Binder, table: SchemaTable) -> dict[str, Any] | None:
    if binder.whole_adapter is not None:
        return {
            "required": True,
            "content": {"application/json": {"schema": table.of_adapter(binder.whole_adapter)}},
        }
    props, required = _bound_fields(binder, table)
    if not props:
        return None
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = sorted(required)
    if binder.reject_unknown:
        # unknown_fields="reject": any other member is a 422 unknown_field.
        schema["additionalProperties"] = False
    media = "multipart/form-data" if binder.file_names else "application/json"
    if binder.array_body is not None:
        # The lone list parameter's array itself, or an object naming it (rule B5).
        array = table.of_adapter(binder.array_body.adapter)
        body = {"anyOf": [array, schema]}
        return {"required": bool(required), "content": {media: {"schema": body}}}
    return {"required": bool(required), "content": {media: {"schema": schema}}}


def _success(endpoint: Endpoint, table: SchemaTable) -> dict[str, Any]:
    """The success responses from the handler's return annotation.

    A handler may answer ``None`` (204) unless its annotation rules it out.
    ``-> tuple[Body, int]`` is a ``(body, status)`` result: ``Body`` with
    the status the handler picks (``2XX``).  Without an annotation (or with
    ``Any``) the handler may answer anything it can return: a value, an
    iterator (streamed as NDJSON), ``None``, a ``(body, status)`` tuple or
    a response of its own, so the document says so.
    """
    try:
        hints = typing.get_type_hints(endpoint.func)
    except Exception:  # an unresolvable annotation documents nothing
        hints = {}
    returned = hints.get("return", Any)
    if returned is type(None):
        return {"204": _NO_CONTENT}
    if isinstance(returned, type) and issubclass(returned, (Stream, AjaxResponse)):
        # Its own status too (AjaxResponse(status=201), Stream(status=...)).
        return {"2XX": {"description": "The handler's own response.", "content": _ANY_MEDIA}}
    body = status_tuple_body(returned)
    if body is not None:
        return {"2XX": _json_response(table.of_type(body, "serialization"), _CHOSEN_STATUS)}
    found = {"200": _json_response(table.of_type(returned, "serialization"))}
    if returned is Any:
        found["200"]["content"][NDJSON_TYPE] = {"schema": {}}
        found["204"] = _NO_CONTENT
        found["2XX"] = {"description": _ANY_SUCCESS, "content": _ANY_MEDIA}
    elif type(None) in typing.get_args(returned):
        found["204"] = _NO_CONTENT
    return found


def _json_response(
    schema: dict[str, Any], description: str = "The handler's result."
) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
