"""Merging a registry's document into another OpenAPI document (FastAPI's own).

Paths move under the mount prefix; schemas and responses join the host's
components (a name the host already uses keeps the host's definition: the
same pydantic model gives the same schema either way); an ``operationId``
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
    paths = host.setdefault("paths", {})
    taken = _operation_ids(paths)
    for path, item in ours.get("paths", {}).items():
        merged = paths[base + path] = _tagged(copy.deepcopy(item))
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
            target.setdefault(name, copy.deepcopy(definition))
    sockets = ours.get("x-ajaxkit-websockets", {})
    if sockets:
        found = host.setdefault("x-ajaxkit-websockets", {})
        found.update({base + path: copy.deepcopy(doc) for path, doc in sockets.items()})
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
