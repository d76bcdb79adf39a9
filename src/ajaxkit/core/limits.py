"""Limits on the shape of input, each a 400 naming the setting it broke.

The body size limit (413) bounds the bytes; these bound what the bytes may
hold, since a small body can still be expensive to bind and validate: a
JSON document nested thousands deep, ten thousand form fields, one
megabyte-long string.  Checked after parsing, before binding; each check is
its own small function so that parsing can change without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ajaxkit.exceptions import ClientError
from ajaxkit.types import AjaxRequest, MultiDict

if TYPE_CHECKING:
    from ajaxkit.core.settings import Settings

__all__ = ["check_depth", "check_input_limits", "check_param_count", "check_strings"]


def check_input_limits(request: AjaxRequest, settings: Settings) -> None:
    """Apply ``max_params``, ``max_json_depth`` and ``max_string_length`` to ``request``."""
    data = request.data
    if data is None and not request.query:
        return
    check_param_count(request, settings.max_params)
    body = request.body
    # Cheap bounds first, so that the usual small body is never walked: a
    # document cannot nest deeper than it has brackets, nor hold a string
    # longer than its bytes (an escape shortens, never lengthens, the text).
    if isinstance(data, (dict, list)) and body.count(b"[") + body.count(b"{") > (
        settings.max_json_depth
    ):
        check_depth(data, settings.max_json_depth)
    if request.query or len(body) > settings.max_string_length:
        check_strings(request, settings.max_string_length)


def check_param_count(request: AjaxRequest, limit: int) -> None:
    """Form fields or top-level JSON members: at most ``limit``.

    The query string is left out: any number of query parameters binds the
    same on every integration (rule U4), and servers bound the URL's length.
    """
    data = request.data
    if isinstance(data, MultiDict):
        count = len(data.multi_items())
    elif isinstance(data, dict):
        count = len(data)
    else:
        return
    if count > limit:
        raise ClientError(f"The body has {count} parameters; at most {limit} (max_params).")


def check_depth(value: dict[str, Any] | list[Any], limit: int) -> None:
    """Arrays and objects nest at most ``limit`` levels (the outermost is level 1)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ClientError(f"The JSON body nests deeper than {limit} levels (max_json_depth).")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def check_strings(request: AjaxRequest, limit: int) -> None:
    """No query value, form value, JSON key or JSON string longer than ``limit`` characters."""
    if any(len(v) > limit for _, v in request.query.multi_items()) or _too_long(
        request.data, limit
    ):
        raise ClientError(
            f"The request holds a string longer than {limit} characters (max_string_length)."
        )


def _too_long(data: Any, limit: int) -> bool:
    if isinstance(data, MultiDict):
        return any(len(v) > limit for _, v in data.multi_items())
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if len(node) > limit:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
