"""Route patterns in OpenAPI's words: ``notes/{pk:int}`` → ``/notes/{pk}``."""

from __future__ import annotations

import re

__all__ = ["openapi_path", "route_parameters"]

# The same grammar as ajaxkit.core.routing: {name} or {name:converter}.
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def openapi_path(route: str) -> str:
    """The path template below the mount (converters dropped: OpenAPI has none)."""
    return "/" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", route)


def route_parameters(route: str) -> list[tuple[str, str | None]]:
    """``(name, converter)`` for each parameter of ``route``, in order."""
    return [(m.group(1), m.group(2)) for m in _PARAM.finditer(route)]
