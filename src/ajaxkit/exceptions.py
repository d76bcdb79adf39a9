"""The one exception tree of ajaxkit (stdlib only).

Every error that reaches a client is an :class:`AjaxError`.  HTTP-facing
subclasses carry ``status``, ``code``, ``title`` and a default ``detail`` as
class attributes, so ``raise NotFound()`` is complete and
``raise NotFound("No note 7")`` only says what is particular to this
occurrence.  Foreign errors (framework, pydantic, ORM, Redis) are translated
into this tree in exactly one place each, ``raise ... from exc``.

::

    AjaxError (500 internal_error)            root; also "something went wrong"
    ├── ClientError (400 bad_request)
    │   ├── MalformedJSON (400 malformed_json)
    │   ├── MalformedBody (400 malformed_body)
    │   ├── Unauthorized (401 not_authenticated)
    │   ├── Forbidden (403 forbidden)
    │   │   └── CSRFFailed (403 csrf_failed)
    │   ├── NotFound (404 not_found)
    │   ├── MethodNotAllowed (405 method_not_allowed)
    │   ├── NotAcceptable (406 not_acceptable)
    │   ├── Conflict (409 conflict)
    │   ├── Gone (410 gone)
    │   ├── PreconditionFailed (412 precondition_failed)
    │   ├── PayloadTooLarge (413 payload_too_large)
    │   ├── UnsupportedMediaType (415 unsupported_media_type)
    │   ├── ValidationFailed (422 validation_failed)  carries ``errors``
    │   ├── PreconditionRequired (428 precondition_required)
    │   └── TooManyRequests (429 rate_limited)
    └── ServerError (500 internal_error)
        ├── EncodingError (500 encoding_failed)
        └── ServiceUnavailable (503 service_unavailable)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypedDict

__all__ = [
    "AjaxError",
    "CSRFFailed",
    "ClientError",
    "Conflict",
    "EncodingError",
    "FieldError",
    "Forbidden",
    "Gone",
    "MalformedBody",
    "MalformedJSON",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServerError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "error_for_status",
]


class FieldError(TypedDict, total=False):
    """One entry of a validation problem's ``errors`` list.

    Exactly one of ``pointer`` (a JSON Pointer into the request body, RFC 6901,
    written as a URI fragment like ``#/title``) or ``parameter`` (the name of
    a query-string or path parameter) locates the bad input.
    """

    pointer: str
    parameter: str
    detail: str
    code: str


class AjaxError(Exception):
    """Root of every error ajaxkit turns into a response.

    Args:
        detail: what went wrong in this occurrence; defaults to the class's
            ``detail``.
        headers: extra response headers (``Allow``, ``Retry-After``, ...).
        extra: extension members added to the error body.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"
    detail: str = "The server could not complete the request."
    #: Whether ``detail`` may be shown to clients when ``debug`` is off.
    expose: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if detail is not None:
            self.detail = detail
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = extra
        super().__init__(self.detail)


class ClientError(AjaxError):
    """The request was wrong; the client can fix it."""

    status = 400
    code = "bad_request"
    title = "Bad Request"
    detail = "The request could not be understood."
    expose = True


class MalformedJSON(ClientError):
    code = "malformed_json"
    detail = "The request body is not valid JSON."


class MalformedBody(ClientError):
    code = "malformed_body"
    detail = "The request body could not be parsed."


class Unauthorized(ClientError):
    status = 401
    code = "not_authenticated"
    title = "Unauthorized"
    detail = "Authentication is required."


class Forbidden(ClientError):
    status = 403
    code = "forbidden"
    title = "Forbidden"
    detail = "You do not have permission to perform this action."


class CSRFFailed(Forbidden):
    code = "csrf_failed"
    detail = "CSRF verification failed."


class NotFound(ClientError):
    status = 404
    code = "not_found"
    title = "Not Found"
    detail = "The requested resource was not found."


class MethodNotAllowed(ClientError):
    """Raised with the allowed methods, which become the ``Allow`` header."""

    status = 405
    code = "method_not_allowed"
    title = "Method Not Allowed"
    detail = "The method is not allowed for this endpoint."

    def __init__(self, allowed: Iterable[str], detail: str | None = None) -> None:
        self.allowed = tuple(allowed)
        super().__init__(detail, headers={"Allow": ", ".join(self.allowed)})


class NotAcceptable(ClientError):
    status = 406
    code = "not_acceptable"
    title = "Not Acceptable"
    detail = "No acceptable representation is available."


class Conflict(ClientError):
    status = 409
    code = "conflict"
    title = "Conflict"
    detail = "The request conflicts with the current state of the resource."


class Gone(ClientError):
    status = 410
    code = "gone"
    title = "Gone"
    detail = "The resource is no longer available."


class PreconditionFailed(ClientError):
    status = 412
    code = "precondition_failed"
    title = "Precondition Failed"
    detail = "The resource has changed since it was read."


class PayloadTooLarge(ClientError):
    status = 413
    code = "payload_too_large"
    title = "Content Too Large"
    detail = "The request body is too large."


class UnsupportedMediaType(ClientError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported Media Type"
    detail = "The request body's content type is not supported."


class ValidationFailed(ClientError):
    """Input did not validate; ``errors`` locates each problem."""

    status = 422
    code = "validation_failed"
    title = "Unprocessable Content"
    detail = "The request parameters did not validate."

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        self.errors: list[FieldError] = list(errors)
        super().__init__(detail)


class PreconditionRequired(ClientError):
    status = 428
    code = "precondition_required"
    title = "Precondition Required"
    detail = "This request must be conditional (send If-Match)."


class TooManyRequests(ClientError):
    status = 429
    code = "rate_limited"
    title = "Too Many Requests"
    detail = "Too many requests; try again later."


class ServerError(AjaxError):
    """The server failed; never the client's fault."""


class EncodingError(ServerError):
    code = "encoding_failed"
    detail = "The response could not be encoded."


class ServiceUnavailable(ServerError):
    status = 503
    code = "service_unavailable"
    title = "Service Unavailable"
    detail = "The service is temporarily unavailable."
    expose = True


# --- Foreign HTTP errors ------------------------------------------------------

_STATUS_CLASSES: dict[int, type[AjaxError]] = {}


def error_for_status(
    status: int, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> AjaxError:
    """An error for a framework's "HTTP error with this status" exception.

    The tree's own class is used when it has one for ``status`` (404 is
    :class:`NotFound`, never a look-alike); any other status gets a subclass
    of :class:`ClientError` or :class:`ServerError` whose ``code`` and
    ``title`` come from the status phrase (``418`` is ``im_a_teapot``).
    Integrations call this from their ``translate_exception`` so every
    framework maps statuses the same way.
    """
    cls = _STATUS_CLASSES.get(status) or _status_class(status)
    return cls(detail, headers=headers)


def _status_class(status: int) -> type[AjaxError]:
    # Shallowest class first, so 400 is ClientError rather than MalformedJSON;
    # classes with their own __init__ (MethodNotAllowed, ValidationFailed)
    # need arguments a foreign error does not carry, so they are skipped.
    candidates: list[type[AjaxError]] = [ClientError, *_descendants(ClientError)]
    candidates += [ServerError, *_descendants(ServerError)]
    standard = [c for c in candidates if c.__init__ is AjaxError.__init__]
    found = next((c for c in standard if c.status == status), None) or _derived_class(status)
    _STATUS_CLASSES[status] = found
    return found


def _descendants(cls: type[AjaxError]) -> list[type[AjaxError]]:
    children = cls.__subclasses__()
    return children + [d for child in children for d in _descendants(child)]


def _derived_class(status: int) -> type[AjaxError]:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = f"HTTP {status}"
    code = "_".join(re.findall(r"[a-z0-9]+", title.lower().replace("'", "")))
    base = ServerError if status >= 500 else ClientError
    attrs = {"status": status, "code": code, "title": title, "detail": title}
    derived: type[AjaxError] = type(f"HTTPError{status}", (base,), attrs)
    return derived
