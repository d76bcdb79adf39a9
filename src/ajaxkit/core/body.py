"""Reading and parsing request bodies: size limit, content type, syntax.

The body is read through the integration's :class:`~ajaxkit.types.BodySource`
(at most ``limit + 1`` bytes), after the declared ``Content-Length`` has been
checked, so an oversized body is refused without being buffered.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ajaxkit.core.digits import parse_natural
from ajaxkit.exceptions import (
    ClientError,
    MalformedBody,
    MalformedJSON,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from ajaxkit.types import AjaxRequest, MultiDict, UploadedFile

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


def parse_body(request: AjaxRequest, raw: bytes, limit: int) -> None:
    """Parse ``raw`` by content type into ``request.data`` (and ``files``)."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    media_type = request.content_type
    if not raw:
        # An empty body is no body, whatever type it claims: Django's
        # runserver labels jQuery's bodiless $.post(url) text/plain.
        request.data = None
    elif media_type == "application/json" or media_type.endswith("+json"):
        request.data = _parse_json(raw)
    elif media_type == FORM_TYPE:
        request.data = _parse_urlencoded(raw)
    elif media_type == MULTIPART_TYPE:
        request.data, request.files = _parse_multipart(request.headers["content-type"], raw)
    else:
        raise UnsupportedMediaType(
            f"Send the body as one of: {', '.join(SUPPORTED_TYPES)}.",
            headers={"Accept-Post": ", ".join(SUPPORTED_TYPES)},
        )


def _parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"The request body is not valid JSON: {exc.msg}.") from exc


def _parse_urlencoded(raw: bytes) -> MultiDict:
    try:
        text = raw.decode("utf-8")
        return MultiDict(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("The form body is not valid UTF-8 URL-encoded data.") from exc


def _parse_multipart(
    content_type: str, raw: bytes
) -> tuple[MultiDict, dict[str, list[UploadedFile]]]:
    if "boundary=" not in content_type:
        raise MalformedBody("The multipart body has no boundary.")
    if _is_empty_multipart(content_type, raw):
        return MultiDict(), {}
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    message = BytesParser(policy=HTTP).parsebytes(envelope)
    if not message.is_multipart() or message.defects:
        raise MalformedBody("The multipart body could not be parsed.")
    fields: list[tuple[str, str]] = []
    files: dict[str, list[UploadedFile]] = {}
    try:
        for part in message.iter_parts():
            _collect_part(part, fields, files)
    except UnicodeError as exc:
        # RFC 2231 parameters (filename*=charset''...) are decoded while the
        # headers are parsed; a lone surrogate makes the email package raise.
        raise MalformedBody("A multipart part header is not valid text.") from exc
    return MultiDict(fields), files


def _field_text(name: str, data: bytes, charset: str) -> str:
    try:
        return _unicode(data.decode(charset))
    except (UnicodeError, LookupError) as exc:
        raise MalformedBody(f"The form field {name!r} is not valid text.") from exc


def _unicode(text: str) -> str:
    # A part may name any codec Python knows (unicode_escape, say), and such
    # codecs can yield lone surrogates: text no response could ever encode.
    text.encode("utf-8")
    return text


def _is_empty_multipart(content_type: str, raw: bytes) -> bool:
    # A form with no fields is only the close delimiter.  RFC 2046 wants at
    # least one part, but browsers (an empty FormData) and Django's test
    # client send exactly this, and the email parser calls it defective.
    boundary = content_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
    return raw.strip() == b"--" + boundary.encode("latin-1") + b"--"


def _collect_part(
    part: Message, fields: list[tuple[str, str]], files: dict[str, list[UploadedFile]]
) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MalformedBody("A multipart part has no field name.")
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    _unicode(name + (filename or ""))  # RFC 2231 names may decode to surrogates too
    if filename is None:
        fields.append((name, _field_text(name, data, part.get_content_charset() or "utf-8")))
        return
    upload = UploadedFile(filename, part.get_content_type(), data)
    files.setdefault(name, []).append(upload)


class ReadBody:
    """The effect of reading the body through the integration, bounded by ``limit``."""

    __slots__ = ("limit", "request")

    def __init__(self, request: AjaxRequest, limit: int) -> None:
        self.request, self.limit = request, limit

    def sync(self) -> bytes:
        return self.request.read_body(self.limit)

    async def async_(self) -> bytes:
        return await self.request.aread_body(self.limit)
