"""What an integration tells the core about its framework.

A :class:`Platform` is the whole contract between the core and a framework
integration beyond request/response translation: which objects are native
responses (they pass through untouched), how the framework's own exceptions
map into our tree, how CSRF is checked, and how blocking code is run off the
event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from asgiref.sync import sync_to_async

from ajaxkit.core.encoding import declare_value_type
from ajaxkit.exceptions import AjaxError
from ajaxkit.types import AjaxRequest, AjaxResponse, Cookie, NativeSummary

__all__ = [
    "REFERENCE",
    "Platform",
    "ReferenceNative",
    "amend_status_code",
    "declare",
    "declared_platforms",
    "view_decorator_check",
]

ExceptionTranslator = Callable[[BaseException], "AjaxError | None"]
ThreadRunner = Callable[..., Awaitable[Any]]
#: ``close_for(exc) -> (code, reason) | None``: the close a framework
#: exception asks of a WebSocket session (Starlette's ``WebSocketException``).
CloseTranslator = Callable[[BaseException], "tuple[int, str] | None"]
#: ``check_parameter(name, marker) -> message | None``: a message refuses the
#: parameter.  ``marker`` is its default (``None`` when it has none) or one of
#: the extras of its ``Annotated[...]`` hint; the check runs once for each.
ParameterCheck = Callable[[str, Any], "str | None"]
#: ``check_decorator(layer) -> message | None``: a message refuses a handler
#: wrapped (``__wrapped__``, at any depth) in ``layer``, one of the
#: framework's own view decorators, saying what to write instead.
DecoratorCheck = Callable[[Any], "str | None"]
#: ``amend(native_response, status or None, headers)``, in place.
NativeAmender = Callable[[Any, "int | None", Mapping[str, str]], None]


def _no_translation(exc: BaseException) -> AjaxError | None:
    return None


def _no_close(exc: BaseException) -> tuple[int, str] | None:
    return None


async def _to_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    # Not thread-sensitive: sync handlers of a framework-free app share no
    # thread-bound state, so they may run side by side.
    return await sync_to_async(func, thread_sensitive=False)(*args, **kwargs)


@dataclass(frozen=True)
class Platform:
    """The framework facts the pipeline needs.

    Attributes:
        name: the framework, for logs.
        native_response_types: handler results of these types are returned
            as they are.
        translate_exception: maps a framework exception into our tree, or
            returns ``None`` when it does not know it.
        close_for: the close code and reason a framework exception raised by
            a WebSocket handler asks for (Starlette's ``WebSocketException``),
            or ``None`` for any other: the session then closes as for an
            error (1011, logged, or ``4000 + status``).
        check_csrf: the framework's own CSRF check, ``check(request,
            trusted_origins, limit)`` raising :class:`~ajaxkit.CSRFFailed`;
            when set it runs after the core's header checks in place of the
            core's token check (Django).  ``None``: the core's token.  It
            runs before the body size is checked, so a check that must read
            the body (Django's form token) reads at most ``limit`` bytes.
        csrf_check_blocks: ``blocks(request) -> bool``: whether
            ``check_csrf`` may do I/O for this request (a session read, a
            form body); when false it runs where the request is answered,
            with no hop to a thread.  ``None``: it always may.
        issue_csrf_token: ``issue(request) -> (token, cookie or None)``
            for a framework whose own check reads its own token; ``None``:
            the core's signed double-submit token.
        accept_csrf_token: ``accept(request, token) -> bool``: a token the
            framework issued some other way that the core's check accepts
            too (Flask-WTF's); ``None``: none.
        trusted_origins: origins the framework's own settings trust
            (Django's ``CSRF_TRUSTED_ORIGINS``), read per request.
        run_in_thread: ``await run_in_thread(f, *args)`` runs blocking ``f``
            without blocking the event loop.
        describe_native: reads status, body, content type and headers
            (cookies included) off a native response, for profiles that
            rewrite error responses and for batch items.
        amend_native: ``amend(response, status, headers)`` sets a native
            response's status (unless ``None``) and adds ``headers``, for a
            handler returning one in a tuple (Flask's ``jsonify(...), 201``);
            ``None``: such a tuple cannot be answered.
        request_types: the framework's request classes; a handler's first
            parameter annotated with one of them receives the native request.
        check_parameter: refuses, at registration, handler parameters the
            framework's users may expect it to fill (FastAPI's ``Depends``).
        check_decorator: refuses, at registration, a handler wrapped in one
            of the framework's view decorators (Django's ``login_required``),
            which would answer in the framework's words (a redirect to the
            login page, an HTML 405) or fail on ajaxkit's request.
        upload_types: the framework's classes for an uploaded file; a
            parameter annotated with one is refused at registration, saying
            to annotate :class:`~ajaxkit.UploadedFile`.
        injected_types: ``(class, advice)`` pairs: classes the framework
            fills for its own views by annotation (FastAPI's
            ``BackgroundTasks``); a parameter annotated with one is refused
            at registration with ``advice``, saying what to write instead.
        user_source: what must be set up for a request to carry a user (the
            authentication middleware); when the user is ``None`` and no
            ``user_loader`` is set, a warning names it once.
        credential_cookies: the names of the cookies the framework loads its
            user from (the session cookie by its configured name), read per
            request that carries a ``Cookie`` header.  A request holding
            one is answered with ``no-store`` (rule Y2) when nothing loaded
            its user, as if it were signed in.  ``None``: the user is known
            before the pipeline runs (Starlette's ``scope["user"]``), and
            the ``Cookie`` header is not looked at.
        report_exception: ``report(exc)`` tells the framework of an
            exception a handler let escape (answered with a 500 problem),
            as its own request handling would, so that error trackers
            hooked there see it (Flask's ``got_request_exception``).
            Errors the code raised to be answered (an ``AjaxError``, a
            translated framework exception) are not reported.  ``None``:
            nothing is told.
        value_types: ``(type, encode)`` pairs: the framework's values that
            stand for plain data (Django's lazy text), which every encoder
            writes as ``encode(value)`` once the platform is declared
            (:func:`~ajaxkit.core.encoding.declare_value_type`).
    """

    name: str
    native_response_types: tuple[type, ...] = ()
    translate_exception: ExceptionTranslator = _no_translation
    close_for: CloseTranslator = _no_close
    check_csrf: Callable[[AjaxRequest, tuple[str, ...], int], None] | None = None
    csrf_check_blocks: Callable[[AjaxRequest], bool] | None = None
    issue_csrf_token: Callable[[AjaxRequest], tuple[str, Cookie | None]] | None = None
    accept_csrf_token: Callable[[AjaxRequest, str], bool] | None = None
    trusted_origins: Callable[[], tuple[str, ...]] = tuple
    run_in_thread: ThreadRunner = _to_thread
    describe_native: Callable[[Any], NativeSummary] | None = None
    amend_native: NativeAmender | None = None
    request_types: tuple[type, ...] = ()
    check_parameter: ParameterCheck | None = None
    check_decorator: DecoratorCheck | None = None
    upload_types: tuple[type, ...] = ()
    injected_types: tuple[tuple[type, str], ...] = ()
    user_source: str | None = None
    credential_cookies: Callable[[], Collection[str]] | None = None
    report_exception: Callable[[BaseException], None] | None = None
    value_types: tuple[tuple[type, Callable[[Any], Any]], ...] = ()


# Registration happens before any mount, so it cannot ask the platform it
# will be served with; it asks every integration that has been imported.
_DECLARED: dict[str, Platform] = {}


def declare(platform: Platform) -> Platform:
    """Make ``platform``'s registration facts known to :meth:`Ajax.endpoint`.

    Integrations call this for the platform they define; registering an
    endpoint then recognises its request types and runs its parameter check.
    """
    _DECLARED[platform.name] = platform
    for value_type, encode in platform.value_types:
        declare_value_type(value_type, encode)
    return platform


def declared_platforms() -> tuple[Platform, ...]:
    """The platforms integrations have declared so far."""
    return tuple(_DECLARED.values())


#: ``(decorators, message)`` pairs: a handler wrapped by any of ``decorators``
#: is refused with ``message``.
DecoratorAdvice = Iterable[tuple[Iterable[Callable[[Any], Any]], str]]


def _view(request: Any) -> None: ...


async def _async_view(request: Any) -> None: ...


def view_decorator_check(advice: Callable[[], DecoratorAdvice]) -> DecoratorCheck:
    """A :data:`DecoratorCheck` refusing the wrappers the decorators ``advice()``
    names make, each with its message.

    A wrapper is known by its code: ``functools.wraps`` copies a view's name,
    module and attributes onto it, never its code.  Each decorator is tried
    on a sync and an async view, since most wrap the two kinds in different
    functions.  ``advice`` is called on the first check, so an optional
    package (Flask-Login) is imported only if present and only when needed.
    """

    @cache
    def messages() -> dict[Any, str]:
        return {
            getattr(decorate(view), "__code__", None): message
            for decorators, message in advice()
            for decorate in decorators
            for view in (_view, _async_view)
        }

    def check(layer: Any) -> str | None:
        code = getattr(layer, "__code__", None)
        return None if code is None else messages().get(code)

    return check


class ReferenceNative(AjaxResponse):
    """What a framework's own response is to the framework-free platform.

    Returned by a handler it passes through untouched, as a native response
    does on a framework.  A plain :class:`~ajaxkit.AjaxResponse` is not
    one: every framework treats it as ajaxkit's (``nosniff``, status check,
    HEAD), and so must the platform :mod:`ajaxkit.testing` dispatches with.
    """

    __slots__ = ()


def _describe_ajax_response(response: Any) -> NativeSummary:
    assert isinstance(response, AjaxResponse)
    cookies = [("Set-Cookie", cookie.header_value()) for cookie in response.cookies]
    headers = (*response.headers.multi_items(), *cookies)
    streamed = response.stream is not None
    return NativeSummary(response.status, response.body, response.content_type, headers, streamed)


def amend_status_code(response: Any, status: int | None, headers: Mapping[str, str]) -> None:
    """A :data:`NativeAmender` for responses with a writable ``status_code`` and a
    ``headers`` mapping, as werkzeug's, Starlette's and Django's are."""
    if status is not None:
        response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value


def _amend_ajax_response(response: Any, status: int | None, headers: Mapping[str, str]) -> None:
    assert isinstance(response, AjaxResponse)
    if status is not None:
        response.status = status
    for name, value in headers.items():
        response.headers[name] = value


#: The framework-free platform used by :mod:`ajaxkit.testing`; there, a
#: returned :class:`ReferenceNative` plays the native response.
REFERENCE = Platform(
    name="reference",
    native_response_types=(ReferenceNative,),
    describe_native=_describe_ajax_response,
    amend_native=_amend_ajax_response,
)
