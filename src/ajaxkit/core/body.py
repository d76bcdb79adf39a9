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

from ajaxkit.exceptions import (
    ClientError,
    MalformedBody,
    MalformedJSON,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from ajaxkit.types import AjaxRequest, MultiDict, UploadedFile

__all__ = ["BODY_METHODS", "SUPPORTED_TYPES", "check_declared_length", "parse_body"]

#: Methods whose parameters come from the body rather than the query string.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
SUPPORTED_TYPES = ("application/json", FORM_TYPE, MULTIPART_TYPE)


def check_declared_length(request: AjaxRequest, limit: int) -> None:
    """Refuse a body whose declared length is over ``limit`` before reading it."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise ClientError("The Content-Length header is not a number.")
    if int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")


def parse_body(request: AjaxRequest, raw: bytes, limit: int) -> None:
    """Parse ``raw`` by content type into ``request.data`` (and ``files``)."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    media_type = request.content_type
    if not raw and media_type in ("", *SUPPORTED_TYPES):
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
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    message = BytesParser(policy=HTTP).parsebytes(envelope)
    if not message.is_multipart() or message.defects:
        raise MalformedBody("The multipart body could not be parsed.")
    fields: list[tuple[str, str]] = []
    files: dict[str, list[UploadedFile]] = {}
    for part in message.iter_parts():
        _collect_part(part, fields, files)
    return MultiDict(fields), files


def _collect_part(
    part: Message, fields: list[tuple[str, str]], files: dict[str, list[UploadedFile]]
) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MalformedBody("A multipart part has no field name.")
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    if filename is None:
        try:
            fields.append((name, data.decode(part.get_content_charset() or "utf-8")))
        except (UnicodeDecodeError, LookupError) as exc:
            raise MalformedBody(f"The form field {name!r} is not valid text.") from exc
        return
    upload = UploadedFile(filename, part.get_content_type(), data)
    files.setdefault(name, []).append(upload)
