"""Header fields a handler answers with, checked before any framework writes them.

A handler may write a header from the request (a download's file name, a
redirect target).  Left to the framework, a line break in it split the
response on some servers, setting whatever cookie the request asked for,
while Django and Flask failed with their own 500 page; a character past
Latin-1 failed Starlette while it wrote its headers.  Checked here, a field
no response can carry is a logged 500 problem on every framework (rule H4),
as a status outside 200-599 is (U7).  A whole number is written in decimal,
as Django and Flask write it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ajaxkit.exceptions import ServerError
from ajaxkit.types import AjaxResponse, ResponseHeaders

__all__ = ["check_response_headers", "checked_headers", "field_value"]

#: RFC 9110 section 5.1: a field name is a token.
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: RFC 9110 section 5.5: a field value is visible characters, spaces, tabs
#: and obs-text (the upper half of Latin-1, which every framework writes as
#: one byte each); never CR, LF, NUL or another control character.
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
#: How much of a refused name or value a log record shows.
_SHOWN = 80


def checked_headers(headers: Mapping[str, Any], endpoint: str) -> dict[str, str]:
    """``headers`` that ``endpoint`` answered with, each checked by :func:`field_value`."""
    return {name: field_value(name, value, endpoint) for name, value in headers.items()}


def check_response_headers(response: AjaxResponse, endpoint: str) -> None:
    """Check the headers of ``response``, which ``endpoint`` built itself."""
    pairs = response.headers.multi_items()  # a copy already
    checked = [(name, field_value(name, value, endpoint)) for name, value in pairs]
    if checked != pairs:  # a whole number, now in decimal
        response.headers = ResponseHeaders(checked)


def field_value(name: object, value: object, endpoint: str) -> str:
    """``value`` as the header ``name`` carries it.

    Raises:
        ServerError: no response can carry the header (its name is no
            token, or its value holds a control character but a tab, or a
            character past Latin-1); the message names ``endpoint``.
    """
    if type(value) is int:
        value = str(value)
    if not (isinstance(name, str) and _FIELD_NAME.fullmatch(name)):
        raise ServerError(
            f"Endpoint {endpoint} answered with a header named {_shown(name)}, which no "
            "response can carry: a header name is a token (letters, digits and "
            "!#$%&'*+-.^_`|~)."
        )
    if not (isinstance(value, str) and _FIELD_VALUE.fullmatch(value)):
        raise ServerError(
            f"Endpoint {endpoint} answered with the header {name}: {_shown(value)}, which no "
            "response can carry: a header value is Latin-1 text without line breaks or "
            "other control characters (tabs aside); percent-encode other text (a file "
            "name as RFC 8187's filename*=UTF-8''...)."
        )
    return value


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= _SHOWN else f"{shown[:_SHOWN]}..."
