"""Merging a registry's document into another OpenAPI document (FastAPI's own).

Paths move under the mount prefix; schemas and responses join the host's
components (a name the host already uses keeps the host's definition: the
same pydantic model gives the same schema either way).
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
    for path, item in ours.get("paths", {}).items():
        paths[base + path] = _tagged(copy.deepcopy(item))
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


def _tagged(item: dict[str, Any]) -> dict[str, Any]:
    for op in item.values():
        if isinstance(op, dict):
            op.setdefault("tags", [DEFAULT_TAG])
    return item
