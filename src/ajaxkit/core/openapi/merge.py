"""Merging a registry's document into another OpenAPI document (FastAPI's own).

Paths move under the mount prefix; schemas and responses join the host's
components (a schema or response the host names alike but defines
otherwise stays ours under a name of its own, ``User2``); an ``operationId``
the host already uses takes the mount prefix, so each stays unique.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["merge_document"]

#: The tag grouping ajaxkit's operations in Swagger UI when they have none.
DEFAULT_TAG = "ajaxkit"


def merge_document(host: dict[str, Any], ours: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``host`` (changed in place and returned) with ``ours`` mounted at ``prefix``."""
    base = prefix.rstrip("/")
    ours = _apart(host.get("components", {}), ours)
    paths = host.setdefault("paths", {})
    taken = _operation_ids(paths)
    for path, item in ours.get("paths", {}).items():
        merged = paths[base + path] = _tagged(item)
        for _, op in _operations(merged):
            # OpenAPI wants each operationId unique in the document; one the
            # host (or another registry merged before) has gets the mount:
            # "get:items" below /admin/ajax is "get:admin/ajax/items".
            found = op.get("operationId")
            if found in taken and isinstance(found, str):
                method, _, route = found.partition(":")
                op["operationId"] = f"{method}:{base.strip('/')}/{route}"
            taken.add(op.get("operationId"))
    components = host.setdefault("components", {})
    for kind, table in ours.get("components", {}).items():
        target = components.setdefault(kind, {})
        for name, definition in table.items():
            target.setdefault(name, definition)
    sockets = ours.get("x-ajaxkit-websockets", {})
    if sockets:
        found = host.setdefault("x-ajaxkit-websockets", {})
        found.update({base + path: doc for path, doc in sockets.items()})
    return host


def _operations(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A path item's operations by method (its other members are no operations)."""
    return [(method, op) for method, op in item.items() if method in _METHODS]


def _operation_ids(paths: dict[str, Any]) -> set[Any]:
    return {
        op.get("operationId")
        for item in paths.values()
        if isinstance(item, dict)
        for _, op in _operations(item)
        if isinstance(op, dict)
    } - {None}


#: The members of a path item that are operations (OpenAPI 3.1).
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _tagged(item: dict[str, Any]) -> dict[str, Any]:
    for op in item.values():
        if isinstance(op, dict):
            op.setdefault("tags", [DEFAULT_TAG])
    return item


def _apart(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``ours`` whose components the host's namesakes leave alone.

    A component of ours whose name the host gives another definition (the
    host's own ``User``) is renamed ``User2``…, and our references follow;
    renaming changes what refers to it, so it goes on until nothing clashes.
    """
    mine = ours.get("components", {})
    renamed: dict[str, str] = {}
    while True:
        clash = next(
            (
                (kind, name)
                for kind, table in mine.items()
                if kind in _REFERRED
                for name, definition in table.items()
                if _ref(kind, name) not in renamed
                and theirs.get(kind, {}).get(name, _moved(definition, renamed))
                != _moved(definition, renamed)
            ),
            None,
        )
        if clash is None:
            apart: dict[str, Any] = _moved(copy.deepcopy(ours), renamed, keys=True)
            return apart
        kind, name = clash
        n = 2
        while f"{name}{n}" in theirs.get(kind, {}) or f"{name}{n}" in mine[kind]:
            n += 1
        renamed[_ref(kind, name)] = _ref(kind, f"{name}{n}")


#: The components referred to by ``$ref`` (a security scheme is named in
#: requirements instead: the host's keeps its name and definition).
_REFERRED = frozenset({"schemas", "responses"})


def _ref(kind: str, name: str) -> str:
    return f"#/components/{kind}/{name}"


def _moved(value: Any, renamed: dict[str, str], *, keys: bool = False) -> Any:
    """``value`` with references following ``renamed``; with ``keys``, the
    components' own names too."""
    if isinstance(value, list):
        return [_moved(item, renamed) for item in value]
    if not isinstance(value, dict) or not renamed:
        return value
    found = {key: _moved(item, renamed) for key, item in value.items()}
    ref = found.get("$ref")
    if isinstance(ref, str):
        found["$ref"] = renamed.get(ref, ref)
    if keys:
        for kind, table in found.get("components", {}).items():
            found["components"][kind] = {
                renamed.get(_ref(kind, name), _ref(kind, name)).rsplit("/", 1)[1]: item
                for name, item in table.items()
            }
    return found
