"""Reading and parsing request bodies: size limit, content type, syntax.

The body is read through the integration's :class:`~ajaxkit.types.BodySource`
(at most ``limit + 1`` bytes), after the declared ``Content-Length`` has been
checked, so an oversized body is refused without being buffered.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ajaxkit.core.collector import collector_held
from ajaxkit.core.digits import parse_natural
from ajaxkit.core.jsonvalues import check_json_text
from ajaxkit.core.multipart import parse_multipart
from ajaxkit.core.paramcount import too_many_params
from ajaxkit.exceptions import (
    ClientError,
    MalformedBody,
    MalformedJSON,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from ajaxkit.types import AjaxRequest, MultiDict

__all__ = [
    "BODY_METHODS",
    "SUPPORTED_TYPES",
    "ReadBody",
    "check_declared_length",
    "declared_length",
    "parse_body",
]

#: Methods whose parameters come from the body rather than the query string.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
SUPPORTED_TYPES = ("application/json", FORM_TYPE, MULTIPART_TYPE)


def check_declared_length(request: AjaxRequest, limit: int) -> None:
    """Refuse a body whose declared length is over ``limit`` before reading it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        declared_length(declared, limit)


def declared_length(value: str, limit: int) -> int:
    """A ``Content-Length`` value checked against ``limit``: 400 if not a number, 413 if over.

    RFC 9110 allows only ASCII digits, so ``"²"`` is refused rather than
    crashing ``int()``, and a value of thousands of digits is over the
    limit without being converted.
    """
    length = parse_natural(value, limit)
    if length is None:
        raise ClientError("The Content-Length header is not a number.")
    if length > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return length


def parse_body(
    request: AjaxRequest, raw: bytes, limit: int, *, max_parts: int | None = None
) -> None:
    """Parse ``raw`` by content type into ``request.data`` (and ``files``).

    ``max_parts`` bounds the parts of a multipart body (``max_params``): a
    file part costs as much to read as a field, and N2 counts only fields.
    A form's fields are counted against it before any is made (N2's answer,
    earlier): half a million ``a&`` cost a third of a second to parse.
    """
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    media_type = request.content_type
    try:
        if not raw:
            # An empty body is no body, whatever type it claims: Django's
            # runserver labels jQuery's bodiless $.post(url) text/plain.
            request.data = None
        elif media_type == "application/json" or media_type.endswith("+json"):
            request.data = _parse_json(raw)
        elif media_type == FORM_TYPE:
            request.data = _parse_urlencoded(raw, max_parts)
        elif media_type == MULTIPART_TYPE:
            request.data, request.files = parse_multipart(
                request.headers["content-type"], raw, max_parts
            )
        else:
            raise UnsupportedMediaType(
                _UNSUPPORTED, headers={"Accept-Post": ", ".join(SUPPORTED_TYPES)}
            )
    except (MalformedJSON, MalformedBody) as exc:
        _refuse_coded(request, exc)
        raise


def _refuse_coded(request: AjaxRequest, exc: ClientError) -> None:
    """Raise a 415 naming the body's ``Content-Encoding`` when it has one.

    Nothing here decodes a compressed body, so a gzip one is unreadable:
    said as a syntax error, it was "not valid UTF-8", which names nothing to
    change.  Asked only of a body that did not parse: one readable as it is
    (a proxy decoded it and kept the header) is taken.
    """
    coding = request.headers.get("content-encoding", "").strip()
    if coding and coding.lower() != "identity":
        raise UnsupportedMediaType(
            f"The body is sent with Content-Encoding: {coding}, which is not decoded "
            "here: send it uncompressed.",
            headers={"Accept-Encoding": "identity"},
        ) from exc


#: What a 415 says.  ``fetch()`` sends a string body (``JSON.stringify(data)``)
#: as ``text/plain`` unless given the header: a list of the types taken
#: alone did not say what was wrong with such a request.
_UNSUPPORTED = (
    f"Send the body as one of: {', '.join(SUPPORTED_TYPES)}, named in its "
    f"Content-Type header: fetch() sends a string body, such as JSON.stringify(data), "
    f"as text/plain unless given Content-Type: application/json."
)


#: Bodies from this size on are parsed with the garbage collector held off:
#: below it a parse makes too few containers for collections to matter.
HELD_PARSE_SIZE = 32 * 1024


def _parse_json(raw: bytes) -> Any:
    try:
        if len(raw) < HELD_PARSE_SIZE:
            value = orjson.loads(raw)
        else:
            with collector_held():
                value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"The request body is not valid JSON: {exc.msg}.") from exc
    check_json_text(raw, value)
    return value


def _parse_urlencoded(raw: bytes, max_fields: int | None = None) -> MultiDict:
    try:
        text = raw.decode("utf-8")
        if max_fields is not None and raw.count(b"&") >= max_fields:
            check_field_count(raw, max_fields)
            # Few fields, many "&": parse_qsl would step over each empty piece.
            text = _AMPERSANDS.sub("&", text)
        return MultiDict(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("The form body is not valid UTF-8 URL-encoded data.") from exc


_AMPERSANDS = re.compile("&{2,}")

#: Every byte but ``&`` read as ``a``, so that fields are counted as runs of ``a``.
_FIELDS_AS_RUNS = bytes.maketrans(
    bytes(range(256)), b"a" * ord("&") + b"&" + b"a" * (255 - ord("&"))
)


def check_field_count(raw: bytes, limit: int) -> None:
    r"""Refuse a form body of more than ``limit`` fields, counted as ``parse_qsl`` makes them.

    ``parse_qsl`` makes a field of every non-empty piece between ``&``\ s
    (with ``keep_blank_values``, one without ``=`` too).
    """
    runs = raw.translate(_FIELDS_AS_RUNS)
    count = runs.count(b"&a") + runs.startswith(b"a")
    if count > limit:
        raise too_many_params(count, limit)


class ReadBody:
    """The effect of reading the body through the integration, bounded by ``limit``."""

    __slots__ = ("limit", "request")

    def __init__(self, request: AjaxRequest, limit: int) -> None:
        self.request, self.limit = request, limit

    def sync(self) -> bytes:
        return self.request.read_body(self.limit)

    async def async_(self) -> bytes:
        return await self.request.aread_body(self.limit)
