"""Limits on the shape of input, each a 400 naming the setting it broke.

The body size limit (413) bounds the bytes; these bound what the bytes may
hold, since a small body can still be expensive to bind and validate: a
JSON document nested thousands deep, ten thousand form fields, one
megabyte-long string.  Checked after parsing, before binding; each check is
its own small function so that parsing can change without them.

A JSON body is checked on its text, not by walking the parsed values: a
walk costs a Python step per value, a fifth of a second per megabyte of
small values, which anyone could send to any endpoint.  The text is read
with byte operations that run in C (see :mod:`ajaxkit.core.jsontext`), and
the answer is the parsed value's: a text breaking a limit is read again as
the value re-encoded, since a repeated key's first value is in the text but
not in the value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from ajaxkit.core.jsontext import nests_deeper, string_longer
from ajaxkit.core.paramcount import too_many_params
from ajaxkit.exceptions import ClientError
from ajaxkit.types import AjaxRequest, MultiDict

if TYPE_CHECKING:
    from ajaxkit.core.settings import Settings

__all__ = ["check_depth", "check_input_limits", "check_param_count", "check_strings"]

#: orjson encodes at most this many levels; past them ``dumps`` refuses.
_ENCODABLE_DEPTH = 254


def check_input_limits(request: AjaxRequest, settings: Settings) -> None:
    """Apply ``max_params``, ``max_json_depth`` and ``max_string_length`` to ``request``."""
    data = request.data
    if data is None and not request.query:
        return
    check_param_count(request, settings.max_params)
    body = request.body
    # Cheap bounds first, so that the usual small body is never read: a
    # document cannot nest deeper than it has brackets, nor hold a string
    # longer than its bytes (an escape shortens, never lengthens, the text).
    if isinstance(data, (dict, list)) and body.count(b"[") + body.count(b"{") > (
        settings.max_json_depth
    ):
        check_depth(data, settings.max_json_depth, body)
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
        raise too_many_params(count, limit)


def check_depth(value: dict[str, Any] | list[Any], limit: int, text: bytes) -> None:
    """Arrays and objects nest at most ``limit`` levels (the outermost is level 1).

    ``text`` is the JSON that ``value`` was parsed from.
    """
    if nests_deeper(text, limit) and _value_nests_deeper(value, limit):
        raise ClientError(f"The JSON body nests deeper than {limit} levels (max_json_depth).")


def _value_nests_deeper(value: dict[str, Any] | list[Any], limit: int) -> bool:
    try:
        return nests_deeper(orjson.dumps(value), limit)
    except orjson.JSONEncodeError:
        # Only nesting past orjson's reach makes a parsed value unencodable.
        if limit < _ENCODABLE_DEPTH:
            return True
        return _walk_nests_deeper(value, limit)


def _walk_nests_deeper(value: dict[str, Any] | list[Any], limit: int) -> bool:
    # Only for a max_json_depth past orjson's encoder: walk the containers.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def check_strings(request: AjaxRequest, limit: int) -> None:
    """No query value, form value, JSON key or JSON string longer than ``limit`` characters."""
    if any(len(v) > limit for _, v in request.query.multi_items()) or _too_long(request, limit):
        raise ClientError(
            f"The request holds a string longer than {limit} characters (max_string_length)."
        )


def _too_long(request: AjaxRequest, limit: int) -> bool:
    data = request.data
    if data is None:
        return False
    if isinstance(data, MultiDict):
        return any(len(v) > limit for _, v in data.multi_items())
    body = request.body
    # A JSON string's quotes and characters are all in the body.
    if len(body) <= limit + 2 or not string_longer(body, limit):
        return False
    try:
        return string_longer(orjson.dumps(data), limit)
    except orjson.JSONEncodeError:  # nested past the encoder: a max_json_depth over 254
        return _walk_too_long(data, limit)


def _walk_too_long(data: Any, limit: int) -> bool:
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
