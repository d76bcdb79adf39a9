"""Response formats ("profiles"): how results and errors look on the wire.

The default :class:`ProblemProfile` answers success with the bare JSON value
and every error with RFC 9457 ``application/problem+json``.  Compatibility
profiles (django-ajaxutils, django-ajax) implement the same protocol, so the
pipeline never knows which format it speaks.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import quote

from typing_extensions import TypedDict

from ajaxkit.exceptions import AjaxError, FieldError, Unauthorized, ValidationFailed
from ajaxkit.types import AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest

__all__ = [
    "DEFAULT_CHALLENGE",
    "JSON_TYPE",
    "PROBLEM_TYPE",
    "DebugException",
    "DebugFrame",
    "ErrorContext",
    "ProblemDocument",
    "ProblemProfile",
    "Profile",
    "problem_document",
]

JSON_TYPE = "application/json"
PROBLEM_TYPE = "application/problem+json"
#: The 401 challenge by default: Django and Flask-Login authenticate with a
#: session cookie, a scheme HTTP has no registered name for.
DEFAULT_CHALLENGE = 'Session realm="ajaxkit"'


#: One line of a debug traceback (a functional TypedDict: ``in`` is a keyword).
DebugFrame = TypedDict(
    "DebugFrame", {"file": str, "line": "int | None", "in": str, "code": "str | None"}
)


class DebugException(TypedDict):
    """The ``exception`` member of a 500 problem when ``debug`` is on."""

    type: str
    message: str
    traceback: list[DebugFrame]


class _ProblemMembers(TypedDict):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None
    code: str


# Required and optional members in two classes, not NotRequired[...]: with
# postponed annotations only ``total`` reaches __required_keys__ at run time.
class ProblemDocument(_ProblemMembers, total=False):
    """An ``application/problem+json`` body (RFC 9457) as ajaxkit writes it.

    ``type``, ``title``, ``status``, ``detail`` and ``instance`` are RFC 9457's
    members; ``code`` is ajaxkit's stable snake_case name for the error.
    ``errors`` lists the bad inputs of a validation problem; ``exception``
    describes a server error's cause when ``debug`` is on.  An error's own
    extension members (``AjaxError(**extra)``, such as a rate limit's
    ``retry_after``) appear beside these; a ``TypedDict`` cannot list them.
    """

    errors: list[FieldError]
    exception: DebugException


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

    def stream_error(self, context: ErrorContext) -> Mapping[str, Any] | None:
        """The document ending a stream that failed, or ``None`` to end it silently."""
        ...


@dataclass(frozen=True)
class ProblemProfile:
    """The modern profile: bare JSON success, RFC 9457 problem details on error.

    Attributes:
        www_authenticate: the ``WWW-Authenticate`` challenge a 401 carries,
            which should name the authentication in use (``'Bearer
            realm="api"'`` for token auth); ``None`` sends none.  An
            ``Unauthorized`` raised with its own header keeps it.
        problem_type_base: when set, a problem's ``type`` is this base
            followed by the error ``code`` (for a project that publishes a
            page per error type); otherwise ``about:blank``.
    """

    www_authenticate: str | None = DEFAULT_CHALLENGE
    problem_type_base: str | None = None

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

    def stream_error(self, context: ErrorContext) -> ProblemDocument | None:
        # The status line has gone out; the problem document is the only
        # way left to tell the client that the stream ended on an error.
        return problem_document(context, self.problem_type_base)

    def render_error(self, context: ErrorContext) -> AjaxResponse:
        error = context.error
        headers = {**error.headers, "Content-Type": PROBLEM_TYPE}
        if isinstance(error, Unauthorized) and self.www_authenticate is not None:
            headers.setdefault("WWW-Authenticate", self.www_authenticate)
        document = problem_document(context, self.problem_type_base)
        body = context.settings.encoder.dumps(document)
        return AjaxResponse(status=error.status, body=body, headers=headers)


def problem_document(context: ErrorContext, type_base: str | None = None) -> ProblemDocument:
    """The RFC 9457 members for ``context.error`` (plus our extensions);
    ``type`` is ``type_base`` + the code when a base is given."""
    error, settings = context.error, context.settings
    document: ProblemDocument = {
        "type": f"{type_base}{error.code}" if type_base else "about:blank",
        "title": error.title,
        "status": error.status,
        "detail": context.public_detail,
        "instance": _instance(context),
        "code": error.code,
    }
    if isinstance(error, ValidationFailed):
        document["errors"] = error.errors
    if isinstance(error, Unauthorized) and settings.login_url is not None:
        # Rule A6 holds for every 401, not only login_required's: a model
        # endpoint's authenticate() or a handler may raise Unauthorized().
        document = cast(ProblemDocument, {**document, "login_url": settings.login_url})
    if error.extra and (error.expose or settings.debug):
        # Extension members (RFC 9457 section 3.2) are the error's own; the
        # TypedDict cannot name them, so they join outside its view.
        document = cast(ProblemDocument, {**document, **error.extra})
    if settings.debug and context.cause is not None:
        document["exception"] = _debug_exception(context.cause)
    return document


def _instance(context: ErrorContext) -> str | None:
    # A server error's instance is the id in the log line, never the path:
    # a 500 must not tell the client anything about where it happened.
    if context.error.status >= 500:
        return f"urn:uuid:{context.error_id}" if context.error_id else None
    return _uri_path(context.request.path) if context.request is not None else None


# RFC 3986 ``pchar`` and ``/``, kept as they are; every other character
# (``%`` itself included: the path is already decoded text) is escaped.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _uri_path(path: str) -> str:
    # RFC 9457: ``instance`` is a URI reference.  The request's path is the
    # decoded text (rule U10), which may hold a space, a control character
    # or a non-ASCII letter: sent raw, no URI parser reads it back.
    return quote(path, safe=_PATH_SAFE, errors="surrogatepass")


def _debug_exception(cause: BaseException) -> DebugException:
    frames = traceback.extract_tb(cause.__traceback__)
    return {
        "type": type(cause).__qualname__,
        "message": str(cause),
        "traceback": [
            {"file": f.filename, "line": f.lineno, "in": f.name, "code": f.line} for f in frames
        ],
    }
