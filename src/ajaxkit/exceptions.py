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
    │   ├── IdempotencyKeyMissing (400 idempotency_key_missing)
    │   ├── IdempotencyKeyInvalid (400 idempotency_key_invalid)
    │   ├── Conflict (409 conflict)
    │   │   └── IdempotencyInFlight (409 idempotency_in_flight)
    │   ├── IdempotencyKeyReused (422 idempotency_key_reused)
    │   ├── Gone (410 gone)
    │   ├── PreconditionFailed (412 precondition_failed)
    │   ├── PayloadTooLarge (413 payload_too_large)
    │   ├── UnsupportedMediaType (415 unsupported_media_type)
    │   ├── ValidationFailed (422 validation_failed)  carries ``errors``
    │   ├── FailedDependency (424 failed_dependency)
    │   │   ├── BatchRolledBack (424 batch_rolled_back)
    │   │   ├── BatchNotRun (424 batch_not_run)
    │   │   └── BatchNotCommitted (424 batch_not_committed)
    │   ├── PreconditionRequired (428 precondition_required)
    │   └── TooManyRequests (429 rate_limited)
    └── ServerError (500 internal_error)
        ├── EncodingError (500 encoding_failed)
        └── ServiceUnavailable (503 service_unavailable)

    ConfigurationError                        a mistake in the application's set-up
    └── RegistrationError                     at registration, naming the endpoint
                                              (also TypeError and ValueError)

    ConfigurationWarning (a UserWarning)      a set-up that cannot be what was meant

    WebSocketDisconnect                       the WebSocket client went away (not an error)

Configuration errors never reach a client: they are raised while the
application starts (registering endpoints, mounting, building a broker), so
a mistake is a clear error at start-up instead of a baffling answer later.
Each names the setting or endpoint and the value at fault.
"""

from __future__ import annotations

import functools
import http
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypedDict

__all__ = [
    "AjaxError",
    "BatchNotCommitted",
    "BatchNotRun",
    "BatchRolledBack",
    "CSRFFailed",
    "ClientError",
    "ConfigurationError",
    "ConfigurationWarning",
    "Conflict",
    "EncodingError",
    "FailedDependency",
    "FieldError",
    "Forbidden",
    "Gone",
    "IdempotencyInFlight",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyMissing",
    "IdempotencyKeyReused",
    "MalformedBody",
    "MalformedJSON",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "RegistrationError",
    "ServerError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "WebSocketDisconnect",
    "error_class_for_status",
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
    """Raised with the allowed methods, which become the ``Allow`` header.

    The default detail names them too: a person reads the problem's
    detail (the browser client shows it), seldom the ``Allow`` header.
    """

    status = 405
    code = "method_not_allowed"
    title = "Method Not Allowed"
    detail = "The method is not allowed for this endpoint."

    def __init__(self, allowed: Iterable[str], detail: str | None = None) -> None:
        self.allowed = tuple(allowed)
        if detail is None and self.allowed:
            detail = f"{self.detail[:-1]}, which answers {', '.join(self.allowed)}."
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


class IdempotencyKeyMissing(ClientError):
    code = "idempotency_key_missing"
    detail = "This endpoint needs an Idempotency-Key header."


class IdempotencyKeyInvalid(ClientError):
    code = "idempotency_key_invalid"
    detail = (
        'The Idempotency-Key must be one sf-string, such as "8e03978e-40d5-43e8", '
        "of 1 to 255 visible ASCII characters (a quote or backslash in it escaped "
        "by a backslash)."
    )


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    detail = "A request with this Idempotency-Key is still being processed; retry later."


class IdempotencyKeyReused(ClientError):
    status = 422
    code = "idempotency_key_reused"
    title = "Unprocessable Content"
    detail = "This Idempotency-Key was used for a different request."


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


class FailedDependency(ClientError):
    """The request was not carried out because another one it depends on failed."""

    status = 424
    code = "failed_dependency"
    title = "Failed Dependency"
    detail = "The request depended on another one, which failed."


class BatchRolledBack(FailedDependency):
    """An item of an atomic batch that ran, but was rolled back with the
    whole batch because a later item failed (``failed_item`` names it)."""

    code = "batch_rolled_back"
    detail = "Rolled back: another item of the atomic batch failed."


class BatchNotRun(FailedDependency):
    """An item of an atomic batch that never ran, because an earlier item
    failed (``failed_item`` names it)."""

    code = "batch_not_run"
    detail = "Not run: an earlier item of the atomic batch failed."


class BatchNotCommitted(FailedDependency):
    """An item of an atomic batch whose every item succeeded, but whose
    commit the database refused (a constraint checked at commit, a lost
    connection): nothing of the batch was stored."""

    code = "batch_not_committed"
    detail = "Not committed: the database refused the atomic batch's commit; nothing was stored."


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


_STATUS_CLASSES: dict[int, type[AjaxError]] = {
    cls.status: cls
    for cls in (
        ClientError,
        Unauthorized,
        Forbidden,
        NotFound,
        NotAcceptable,
        Conflict,
        Gone,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        PreconditionRequired,
        TooManyRequests,
        ServerError,
        ServiceUnavailable,
    )
}


@functools.cache
def error_class_for_status(status: int) -> type[AjaxError]:
    """The error class for an HTTP status known only at run time.

    Used where a foreign error or response carries a status (werkzeug's and
    Starlette's ``HTTPException``, a compat view's error response): our own
    class when there is one, otherwise a subclass named after the status
    phrase (418 → ``code = "im_a_teapot"``).  405 maps to a plain error with
    that status because :class:`MethodNotAllowed` needs the allowed methods.
    """
    if status in _STATUS_CLASSES and _STATUS_CLASSES[status] is not ValidationFailed:
        return _STATUS_CLASSES[status]
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:  # a status without a registered phrase: name it by number
        phrase = "Client Error" if status < 500 else "Server Error"
        code = f"http_{status}"
    else:
        code = re.sub(r"[^a-z0-9]+", "_", phrase.lower().replace("'", "")).strip("_")
    base: type[AjaxError] = ClientError if status < 500 else ServerError
    attrs = {"status": status, "code": code, "title": phrase, "detail": phrase + "."}
    return type(f"HTTP{status}Error", (base,), attrs)


def error_for_status(
    status: int, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> AjaxError:
    """An error instance for a framework's "HTTP error with this status" exception.

    Integrations call this from their ``translate_exception`` so every
    framework maps statuses the same way (see :func:`error_class_for_status`).
    """
    return error_class_for_status(status)(detail, headers=headers)


class ConfigurationError(Exception):
    """A mistake in how the application set ajaxkit up (never sent to a client)."""


class ConfigurationWarning(UserWarning):
    """A set-up that works but probably not as intended (given once, at the first request)."""


class RegistrationError(ConfigurationError, TypeError, ValueError):
    """An endpoint, model or topic registered with options that cannot work.

    The message names the endpoint and says what to change.  It is also a
    ``TypeError`` and a ``ValueError`` because registration raised those
    before (an unknown option; a route clash or an unknown converter), so
    code catching them keeps working.
    """


class WebSocketDisconnect(Exception):
    """The WebSocket client went away (raised by ``receive()`` and ``send()``).

    Not an error: a handler may catch it to clean up, or let it propagate,
    which ends the session quietly (nothing is logged).

    Attributes:
        code: the close code the client sent (1005 when it gave none, 1006
            when the connection dropped without a close frame).
    """

    def __init__(self, code: int = 1005) -> None:
        super().__init__(code)
        self.code = code
