"""TypeScript declarations from the OpenAPI document: ``<mount>/_types.d.ts``.

One interface maps each endpoint name (its route) to its parameters and
result, so an editor completes ``client.call("users/search", {q})`` and
knows what comes back, with no build step: the browser's client stays
plain JavaScript and the declarations come from the server that answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["typescript_declarations"]

_HEADER = """\
// The endpoints of an ajaxkit registry, generated from its OpenAPI document.
// Use: import type { Endpoints, Client } from "<mount>/_types.d.ts";
"""
_FOOTER = """\
export type EndpointName = keyof Endpoints;
export type Params<N extends EndpointName> = Endpoints[N]["params"];
export type Result<N extends EndpointName> = Endpoints[N]["result"];

export type MethodOf<N extends EndpointName> = keyof Endpoints[N]["methods"] & string;
type Shape<N extends EndpointName, M extends MethodOf<N>> = Endpoints[N]["methods"][M] & {
  params: unknown;
  result: unknown;
};
/** The endpoints answering POST, the method ``call`` uses when none is named. */
export type PostName = {
  [N in EndpointName]: "POST" extends MethodOf<N> ? N : never;
}[EndpointName];
export interface CallOptions {
  [option: string]: unknown;
}

/** ajaxkit.js's ``call`` typed per endpoint: POST unless ``method`` says otherwise. */
export interface Client {
  call<N extends EndpointName, M extends MethodOf<N>>(
    name: N,
    params: Shape<N, M>["params"],
    options: CallOptions & { method: M },
  ): Promise<Shape<N, M>["result"]>;
  call<N extends PostName>(
    name: N,
    params?: Params<N>,
    options?: CallOptions,
  ): Promise<Result<N>>;
}
"""
_IDENT = re.compile(r"[^A-Za-z0-9_$]")
#: Names a component's type must not take: the declarations' own types, the
#: globals they use, and the TypeScript keywords a Python class may be named.
_KEYWORDS = (
    "any bigint boolean case catch const debugger default delete do enum export extends false"
    " function implements instanceof interface keyof let never new null number object package"
    " private protected public static string super switch symbol this throw true typeof"
    " undefined unknown var void yield"
)
_TAKEN = frozenset(
    (
        "Endpoints",
        *re.findall(r"(?:type|interface) (\w+)", _FOOTER),
        "Array",
        "Blob",
        "Promise",
        *_KEYWORDS.split(),
    )
)
_SIMPLE = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}
_SIMPLE["null"] = "null"
#: Which method's shape ``params``/``result`` show when a route has several.
_PREFERRED = ("post", "get", "put", "patch", "delete")


def typescript_declarations(document: dict[str, Any]) -> str:
    """The ``.d.ts`` text for ``document`` (as built by :func:`build_document`)."""
    components = document.get("components", {}).get("schemas", {})
    lines = [_HEADER]
    for name in sorted(components):
        lines.append(f"export type {type_name(name)} = {ts_type(components[name], 0)};\n")
    lines.append("export interface Endpoints {")
    for item in document.get("paths", {}).values():
        lines.extend(_endpoint(item, components))
    lines.append("}\n")
    lines.append(_FOOTER)
    return "\n".join(lines)


def type_name(component: str) -> str:
    """A TypeScript identifier for a component name (pydantic's may hold ``[``).

    A name the declarations give a type of their own, or use for a global
    (a ``Client`` model, a ``Blob``), or a TypeScript keyword, takes a
    trailing ``_``: the type must not shadow, nor clash with, what it names.
    """
    name = _IDENT.sub("_", component)
    return f"{name}_" if name in _TAKEN else name


def _endpoint(item: dict[str, Any], components: dict[str, Any]) -> list[str]:
    ops = {m: op for m, op in item.items() if isinstance(op, dict) and "responses" in op}
    if not ops:
        return []
    route = next(iter(ops.values()))["x-ajaxkit-endpoint"]
    main = next((ops[m] for m in _PREFERRED if m in ops), next(iter(ops.values())))
    lines = [f"  {json.dumps(route)}: {{"]
    lines.append(f"    params: {_params(main, components)};")
    lines.append(f"    result: {_result(main)};")
    lines.append("    methods: {")
    for method, op in ops.items():
        shape = f"{{ params: {_params(op, components, 4)}; result: {_result(op, 4)} }}"
        lines.append(f"      {method.upper()}: {shape};")
    lines += ["    };", "  };"]
    return lines


def _params(op: dict[str, Any], components: dict[str, Any], depth: int = 2) -> str:
    props: dict[str, Any] = {}
    required: set[str] = set()
    for param in op.get("parameters", []):
        if param["in"] in ("path", "query"):
            props[param["name"]] = param.get("schema", {})
            if param.get("required"):
                required.add(param["name"])
    body = op.get("requestBody", {}).get("content", {})
    for media in body.values():
        schema = _members(_resolve(media.get("schema", {}), components), components)
        props.update(schema.get("properties", {}))
        required.update(schema.get("required", []))
        break
    return _object(props, required, depth)


def _members(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The object form of a body: of a lone list parameter's two (its array,
    or an object naming it), the one the client's params are."""
    for alternative in schema.get("anyOf", ()):
        resolved = _resolve(alternative, components)
        if "properties" in resolved:
            return resolved
    return schema


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        found: dict[str, Any] = components.get(ref.rsplit("/", 1)[1], {})
        return found
    return schema


def _result(op: dict[str, Any], depth: int = 2) -> str:
    """What ``call`` resolves to: any of the success answers' bodies, a
    204's being ``undefined`` (rule K12)."""
    kinds: list[str] = []
    for status, response in op["responses"].items():
        if status.startswith("2"):
            content = response.get("content", {})
            if "application/json" in content:
                kind = ts_type(content["application/json"].get("schema", {}), depth)
            else:
                kind = "unknown" if content else "undefined"
            if kind not in kinds:
                kinds.append(kind)
    if not kinds or "unknown" in kinds:
        return "unknown"
    return " | ".join(kinds)


def ts_type(schema: Any, depth: int) -> str:
    """The TypeScript type of a JSON Schema (``unknown`` for what it cannot say)."""
    if not isinstance(schema, dict):
        return "unknown"
    if "$ref" in schema:
        return type_name(str(schema["$ref"]).rsplit("/", 1)[1])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"]) or "never"
    for key, joint in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")):
        if key in schema:
            return "(" + joint.join(ts_type(s, depth) for s in schema[key]) + ")"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(ts_type({**schema, "type": k}, depth) for k in kind)
    if kind == "array" and "prefixItems" in schema:
        return _tuple(schema, depth)
    if kind == "array":
        return f"Array<{ts_type(schema.get('items', {}), depth)}>"
    if kind == "object" or "properties" in schema:
        return _object(schema.get("properties", {}), set(schema.get("required", [])), depth, schema)
    if kind == "string" and schema.get("format") == "binary":
        return "Blob"
    return _SIMPLE.get(str(kind), "unknown")


def _tuple(schema: dict[str, Any], depth: int) -> str:
    """A tuple's type (``prefixItems``): its elements, the ones past
    ``minItems`` optional, then the rest ``items`` allows."""
    least = schema.get("minItems", 0)
    elements = [
        ts_type(s, depth) + ("" if n < least else "?") for n, s in enumerate(schema["prefixItems"])
    ]
    rest = schema.get("items", {})
    if rest is not False and schema.get("maxItems") != len(elements):
        elements.append(f"...Array<{ts_type(rest, depth)}>")
    return "[" + ", ".join(elements) + "]"


def _object(
    props: dict[str, Any], required: set[str], depth: int, schema: dict[str, Any] | None = None
) -> str:
    extra = (schema or {}).get("additionalProperties")
    if not props:
        if isinstance(extra, dict):
            return f"{{ [key: string]: {ts_type(extra, depth)} }}"
        return "{ [key: string]: unknown }" if schema is not None else "{}"
    pad = "  " * (depth + 1)
    members = [
        f"{pad}{json.dumps(name)}{'' if name in required else '?'}: {ts_type(s, depth + 1)};"
        for name, s in props.items()
    ]
    return "{\n" + "\n".join(members) + "\n" + "  " * depth + "}"
