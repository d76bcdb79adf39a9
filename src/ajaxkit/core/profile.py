"""Response formats ("profiles"): how results and errors look on the wire.

The default :class:`ProblemProfile` answers success with the bare JSON value
and every error with RFC 9457 ``application/problem+json``.  Compatibility
profiles (django-ajaxutils, django-ajax) implement the same protocol, so the
pipeline never knows which format it speaks.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ajaxkit.exceptions import AjaxError, Unauthorized, ValidationFailed
from ajaxkit.types import AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest

__all__ = ["JSON_TYPE", "PROBLEM_TYPE", "ErrorContext", "ProblemProfile", "Profile"]

JSON_TYPE = "application/json"
PROBLEM_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ErrorContext:
    """What a profile may know when it renders an error.

    Attributes:
        error: the error to render (already translated into our tree).
        request: the request being answered, when there is one.
        settings: the registry's settings.
        cause: the original exception for server errors (for ``debug``).
        error_id: the id logged with a server error, so the two can be matched.
    """

    error: AjaxError
    request: AjaxRequest | None
    settings: Settings
    cause: BaseException | None = None
    error_id: str | None = None

    @property
    def public_detail(self) -> str:
        """The detail a client may see: the class default for hidden errors."""
        error = self.error
        if error.expose or self.settings.debug:
            return str(error.detail)
        return type(error).detail


class Profile(Protocol):
    """A response format.

    ``tuple_sets_status`` decides what a handler's ``(body, int)`` tuple means: the
    default profile reads it as ``(body, status)``; a profile may refuse that
    reading (django-ajax returned such tuples as data).
    """

    tuple_sets_status: bool
    #: Check authentication before the method (django-ajaxutils did).
    auth_before_method: bool
    #: The status of a handler's bare ``None``: 204 with no body, or (a
    #: legacy wire) 200 with the body ``null``.
    none_status: int

    def render_result(
        self, value: Any, status: int, headers: dict[str, str], settings: Settings
    ) -> AjaxResponse:
        """Encode a handler's successful result."""
        ...

    def render_error(self, context: ErrorContext) -> AjaxResponse:
        """Encode an error."""
        ...

    def render_native(self, native: Any, platform: Platform, settings: Settings) -> AjaxResponse:
        """Answer with a framework response a handler returned."""
        ...

    def stream_error(self, context: ErrorContext) -> dict[str, Any] | None:
        """The document ending a stream that failed, or ``None`` to end it silently."""
        ...


class ProblemProfile:
    """The modern profile: bare JSON success, RFC 9457 problem details on error."""

    tuple_sets_status = True
    auth_before_method = False
    none_status = 204

    def render_result(
        self, value: Any, status: int, headers: dict[str, str], settings: Settings
    ) -> AjaxResponse:
        if status in {204, 304}:
            return AjaxResponse(status=status, headers=headers)
        headers.setdefault("Content-Type", JSON_TYPE)
        return AjaxResponse(status=status, body=settings.encoder.dumps(value), headers=headers)

    def render_native(self, native: Any, platform: Platform, settings: Settings) -> AjaxResponse:
        return AjaxResponse(native=native)

    def stream_error(self, context: ErrorContext) -> dict[str, Any] | None:
        # The status line has gone out; the problem document is the only
        # way left to tell the client that the stream ended on an error.
        return problem_document(context)

    def render_error(self, context: ErrorContext) -> AjaxResponse:
        error = context.error
        headers = {**error.headers, "Content-Type": PROBLEM_TYPE}
        if isinstance(error, Unauthorized):
            headers.setdefault("WWW-Authenticate", context.settings.www_authenticate)
        body = context.settings.encoder.dumps(problem_document(context))
        return AjaxResponse(status=error.status, body=body, headers=headers)


def problem_document(context: ErrorContext) -> dict[str, Any]:
    """The RFC 9457 members for ``context.error`` (plus our extensions)."""
    error, settings = context.error, context.settings
    base = settings.problem_type_base
    document: dict[str, Any] = {
        "type": f"{base}{error.code}" if base else "about:blank",
        "title": error.title,
        "status": error.status,
        "detail": context.public_detail,
        "instance": _instance(context),
        "code": error.code,
    }
    if isinstance(error, ValidationFailed):
        document["errors"] = error.errors
    if error.expose or settings.debug:
        document.update(error.extra)
    if settings.debug and context.cause is not None:
        document["exception"] = _debug_exception(context.cause)
    return document


def _instance(context: ErrorContext) -> str | None:
    # A server error's instance is the id in the log line, never the path:
    # a 500 must not tell the client anything about where it happened.
    if context.error.status >= 500:
        return f"urn:uuid:{context.error_id}" if context.error_id else None
    return context.request.path if context.request is not None else None


def _debug_exception(cause: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(cause.__traceback__)
    return {
        "type": type(cause).__qualname__,
        "message": str(cause),
        "traceback": [
            {"file": f.filename, "line": f.lineno, "in": f.name, "code": f.line} for f in frames
        ],
    }
