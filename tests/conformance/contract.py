"""Holding an answer to the OpenAPI document that describes it (rule O11).

:func:`mismatches` reads an operation's responses the way a generated
client does: the status must be listed (or fall under ``default``), the
``Content-Type`` must be one the response lists, a response listing no
content must have no body, and a JSON body must validate against the
listed schema.  Schemas are JSON Schema 2020-12 (OpenAPI 3.1); their
``#/components/...`` references are resolved in the document itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import orjson
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conformance.clients.base import Client, Response

__all__ = ["Call", "Contract", "Requests"]

#: Where the document is registered, so ``#/components/...`` resolves in it.
_BASE = "urn:ajaxkit:openapi"


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """One OpenAPI document, ready to hold answers to it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_BASE, resource)

    def operation(self, path: str, method: str) -> dict[str, Any]:
        """The operation object of ``method`` on the documented ``path``."""
        found: dict[str, Any] = self.document["paths"][path][method.lower()]
        return found

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """``node``, or what its local ``$ref`` names (responses, parameters)."""
        while "$ref" in node:
            here: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                here = here[part]
            node = here
        return node

    def template(self, path: str) -> str | None:
        """The documented path ``path`` (below the mount) is an instance of."""
        for template in self.document["paths"]:
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path):
                return str(template)
        return None

    def held(self, path: str, method: str, response: Response) -> None:
        """Assert :meth:`mismatches` finds nothing (``path`` concrete, below the mount)."""
        template = self.template(path)
        assert template is not None, f"{path} is not documented"
        found = self.mismatches(template, method, response)
        assert not found, (method, path, response.status, response.content[:300], found)

    @functools.cache
    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{_BASE}#{pointer}"}, registry=self._registry)

    def mismatches(self, path: str, method: str, response: Response) -> list[str]:
        """What in ``response`` its documented operation does not allow (empty: none)."""
        head = method.upper() == "HEAD"  # answered as GET, without the body
        method = "GET" if head else method
        responses = self.operation(path, method)["responses"]
        status = str(response.status)
        key = status if status in responses else f"{status[0]}XX"
        if key not in responses:
            key = "default"
        if key not in responses:
            return [f"status {status} is not documented ({sorted(responses)})"]
        documented = self.resolve(responses[key])
        content: dict[str, Any] = documented.get("content", {})
        if head and response.content:
            return [f"HEAD answered a body: {response.content[:80]!r}"]
        if not content:
            if response.content:
                return [f"{status} documents no content but has {response.content[:80]!r}"]
            return []
        media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media not in content:
            if "*/*" in content:
                return []
            return [f"{status} is {media or 'untyped'!r}, documented {sorted(content)}"]
        if head or "schema" not in content[media] or not _is_json(media):
            return []
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return [f"{status} {media} is not JSON: {response.content[:80]!r}"]
        where = responses[key].get(
            "$ref", "#" + _pointer("paths", path, method.lower(), "responses", key)
        )
        validator = self._validator(where.removeprefix("#") + _pointer("content", media, "schema"))
        return [
            f"{status} body {_at(error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(body)
        ]


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _at(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


# --- requests made from the document ------------------------------------------------


@dataclasses.dataclass
class Call:
    """One request to a documented operation, as the conformance clients take it."""

    method: str
    path: str
    params: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    content: bytes | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    user: str | None = None
    #: Made as the document says (what the server may still refuse: a
    #: conflict, a record it does not have, a login it needs).
    valid: bool = False

    def send(self, client: Client, mount: str) -> Response:
        """Send as ``user`` (``None``: anonymous) below ``mount``."""
        if self.user is None:
            client.logout()
        else:
            client.login(self.user)
        return client.request(
            self.method,
            mount + self.path,
            params=self.params or None,
            json=self.json,
            data=self.data,
            files=self.files,
            content=self.content,
            headers=dict(self.headers),
        )


#: What a stranger sends where a parameter goes: wrong types, edges, nothing.
#: No huge numbers: the conformance app's streams are as long as ``n`` says
#: (the fuzz suite covers numbers past 64 bits).
HOSTILE_TEXT = ("", "x", "-1", "0", "1.5", "1e999", "null", "[]", "é")
HOSTILE_JSON: tuple[Any, ...] = (None, "", "x", -1, 0, 1.5, True, [], {}, [1, "a"])
#: Path segments: URL-safe, so every framework routes them alike.
_SEGMENT = st.text(alphabet="abcxyz0123456789-_", min_size=1, max_size=8)
_NAMES = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAMES, inner, max_size=2),
    max_leaves=4,
)


class Requests:
    """Hypothesis strategies of requests to one document's operations."""

    def __init__(self, contract: Contract, users: Sequence[str | None] = (None, "alice")) -> None:
        self.contract = contract
        self.users = users

    def schema(self, node: dict[str, Any]) -> dict[str, Any]:
        return self.contract.resolve(node)

    def values(self, node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        """Values ``node`` (a JSON Schema of the document) accepts, bounded in size."""
        schema = self.schema(node)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return st.one_of([self.values(s, depth) for s in schema[key]])
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self.schema(part))
            return self.values(merged, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.values({**schema, "type": k}, depth) for k in kind])
        return self._typed(schema, kind, depth)

    def _typed(self, schema: dict[str, Any], kind: Any, depth: int) -> st.SearchStrategy[Any]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", -1001) + 1)
            high = schema.get("maximum", schema.get("exclusiveMaximum", 1001) - 1)
            return st.integers(max(low, -1000), min(high, 1000))
        if kind == "number":
            low = schema.get("minimum", -1000)
            high = schema.get("maximum", 1000)
            return st.floats(low, high, allow_nan=False, allow_infinity=False)
        if kind == "string":
            return self._string(schema)
        if kind == "array":
            items = self.values(schema.get("items", {}), depth + 1)
            low = schema.get("minItems", 0)
            return st.lists(
                items, min_size=low, max_size=max(low, min(schema.get("maxItems", 3), 3))
            )
        if kind == "object" or "properties" in schema:
            return self.objects(schema, depth)
        return _ANY_JSON

    def _string(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        form = schema.get("format")
        if form == "date":
            return st.dates().map(lambda d: d.isoformat())
        if form == "date-time":
            return st.datetimes(timezones=st.just(dt.timezone.utc)).map(lambda d: d.isoformat())
        low = schema.get("minLength", 0)
        high = max(low, min(schema.get("maxLength", 12), 12))
        if "pattern" in schema:
            matching = st.from_regex(schema["pattern"], fullmatch=True)
            return matching.filter(lambda text: low <= len(text) <= high)
        return st.text(alphabet=_TEXT_ALPHABET, min_size=low, max_size=high)

    def objects(self, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
        """Objects with every required member and some of the others."""
        props = schema.get("properties", {})
        if not props:
            # A closed object with no members (a write body with nothing
            # writable) holds none: any member would be an unknown one.
            closed = schema.get("additionalProperties") is False
            if closed or depth >= 2:
                return st.just({})
            return st.dictionaries(_NAMES, _ANY_JSON, max_size=2)
        required = set(schema.get("required", []))
        made = st.fixed_dictionaries(
            {n: self.values(s, depth + 1) for n, s in props.items() if n in required},
            optional={n: self.values(s, depth + 1) for n, s in props.items() if n not in required},
        )
        if "if" in schema:
            # A condition between members (a batch item's method and body):
            # only objects meeting it are what the document describes.
            condition = Draft202012Validator(
                {k: schema[k] for k in ("if", "then", "else") if k in schema}
            )
            return made.filter(condition.is_valid)
        return made

    def calls(self, path: str, method: str) -> st.SearchStrategy[Call]:
        """Requests to ``method path``: valid, or with one thing wrong."""
        return st.composite(self._call)(path, method)

    def _call(self, draw: st.DrawFn, path: str, method: str) -> Call:
        op = self.contract.operation(path, method)
        parameters = [self.contract.resolve(p) for p in op.get("parameters", [])]
        values = {p["name"]: v for p in parameters if (v := self._value(draw, p)) is not _UNSENT}
        media, body_schema = self._body(op) or (None, None)
        if body_schema is not None and "anyOf" in body_schema:
            # A lone list parameter's body: its array, or an object naming it.
            body_schema = self.schema(draw(st.sampled_from(body_schema["anyOf"])))
        array = None
        if body_schema is not None and body_schema.get("type") == "array":
            array, body_schema = draw(self.values(body_schema)), None
        payload = draw(self.objects(body_schema)) if body_schema is not None else None
        call = Call(method.upper(), "", user=draw(st.sampled_from(self.users)))
        wrong = draw(st.sampled_from(["none", "none", "missing", "hostile", "extra", "body"]))
        closed = (body_schema or {}).get("additionalProperties") is False
        call.valid = not _spoil(draw, wrong, parameters, values, payload, closed)
        if wrong == "body" and media is not None:
            call.content, kind = draw(st.sampled_from(_BAD_BODIES))
            call.headers["Content-Type"] = kind
            call.valid, payload, array = False, None, None
        call.path = self._path(path, parameters, values)
        call.params = self._query(parameters, values)
        for param in parameters:
            if param["in"] == "header" and param["name"] in values:
                call.headers[param["name"]] = str(values[param["name"]])
        if payload is not None and media == "multipart/form-data":
            call.data, call.files = _multipart(payload, body_schema or {})
            if not call.files:
                call.files = {"unused": ("unused.txt", b"", "text/plain")}
        elif payload is not None:
            call.json = payload
        elif array is not None:
            call.json = array
        return call

    def _value(self, draw: st.DrawFn, param: dict[str, Any]) -> Any:
        """A value for ``param``, or :data:`_UNSENT` for an optional one left out."""
        if param["name"] == "Idempotency-Key":
            # A fresh key per request: a reused one is another test's case.
            return f"contract-{uuid.uuid4()}"
        if param["name"] in _CONDITIONS:
            return draw(st.sampled_from([_UNSENT, '"stale"', "*", 'W/"0"']))
        if param["name"] in OPAQUE:
            return _UNSENT
        if param.get("required") or param["in"] == "path" or draw(st.booleans()):
            return draw(self._parameter(param))
        return _UNSENT

    def _parameter(self, param: dict[str, Any]) -> st.SearchStrategy[Any]:
        schema = param.get("schema", {})
        if param["in"] == "path":
            resolved = self.schema(schema)
            if resolved.get("type") == "integer" or resolved.get("pattern") == "^[0-9]+$":
                return st.integers(1, 4).map(str)
            return _SEGMENT
        return self.values(schema)

    def _body(self, op: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        content = op.get("requestBody", {}).get("content", {})
        for media, described in content.items():
            return media, self.schema(described.get("schema", {}))
        return None

    def _path(self, path: str, parameters: list[dict[str, Any]], values: dict[str, Any]) -> str:
        for param in parameters:
            if param["in"] == "path":
                path = path.replace(
                    "{" + param["name"] + "}", quote(str(values[param["name"]]), safe="")
                )
        return path

    def _query(
        self, parameters: list[dict[str, Any]], values: dict[str, Any]
    ) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str | None]] = []
        for param in parameters:
            if param["in"] != "query" or param["name"] not in values:
                continue
            value = values[param["name"]]
            if isinstance(value, dict) and param.get("explode"):
                for name, member in value.items():
                    pairs += [(name, _text(v)) for v in _many(member)]
            elif isinstance(value, list) and param.get("explode") is False:
                pairs.append((param["name"], ",".join(str(_text(v)) for v in value)))
            else:
                pairs += [(param["name"], _text(v)) for v in _many(value)]
        return [(str(name), text) for name, text in pairs if text is not None]


#: Tokens only the server makes (a list's signed ``cursor``): one made up is
#: refused as documented, so a request made as documented never holds one.
OPAQUE = frozenset({"cursor"})
#: Conditional headers: sent (or not) with ETags no record has.
_CONDITIONS = frozenset({"If-Match", "If-None-Match"})
#: An optional parameter left out.
_UNSENT = object()
#: Bodies no operation takes, with the media type they are sent as.
_BAD_BODIES = [
    (b"{", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"text"', "application/json"),
    (b"title=x", "text/plain"),
]


def _spoil(
    draw: st.DrawFn,
    wrong: str,
    parameters: list[dict[str, Any]],
    values: dict[str, Any],
    payload: dict[str, Any] | None,
    closed: bool,
) -> bool:
    """Make one thing ``wrong`` in ``values`` or ``payload``; whether it made it invalid.

    ``closed``: the body's schema allows no other members.
    """
    members = list(payload or {})
    if wrong == "missing":
        names = [p["name"] for p in parameters if p["in"] != "path" and p["name"] in values]
        if names + members:
            gone = draw(st.sampled_from(names + members))
            values.pop(gone, None)
            (payload or {}).pop(gone, None)
            return True
    elif wrong == "hostile":
        names = [p["name"] for p in parameters]
        if names + members:
            name = draw(st.sampled_from(names + members))
            if name in members and payload is not None:
                payload[name] = draw(st.sampled_from(HOSTILE_JSON))
            else:
                values[name] = draw(st.sampled_from(HOSTILE_TEXT))
            return True
    elif wrong == "extra" and payload is not None:
        payload["unexpected"] = draw(_ANY_JSON)
        # Wrong only where the document closes the object.
        return closed
    return False


_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    """A query value as a form sends it (``None``: not sent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def _multipart(
    payload: dict[str, Any], schema: dict[str, Any]
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    data: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for name, value in payload.items():
        member = schema.get("properties", {}).get(name, {})
        binary = (
            member.get("format") == "binary" or member.get("items", {}).get("format") == "binary"
        )
        if binary:
            files[name] = (f"{name}.txt", b"contents", "text/plain")
        elif (text := _text(value)) is not None:
            data[name] = text
    return data, files
