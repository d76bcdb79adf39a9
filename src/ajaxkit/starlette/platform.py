"""What ajaxkit needs to know about Starlette: the :data:`STARLETTE_PLATFORM`.

Starlette's exceptions are translated here and nowhere else; FastAPI's
``HTTPException`` subclasses Starlette's, so FastAPI is covered too.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.authentication import requires
from starlette.background import BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException, WebSocketException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ajaxkit.core.csrf import csrf_signer, page_token
from ajaxkit.core.platform import (
    DecoratorAdvice,
    Platform,
    amend_status_code,
    declare,
    view_decorator_check,
)
from ajaxkit.exceptions import AjaxError, error_for_status
from ajaxkit.types import Cookie, NativeSummary

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = [
    "STARLETTE_PLATFORM",
    "close_for",
    "csrf_token",
    "describe_native",
    "translate_exception",
]


def translate_exception(exc: BaseException) -> AjaxError | None:
    """Map ``HTTPException(404, detail=...)`` onto our tree (404 is ``NotFound``).

    ``detail`` and ``headers`` are kept; a non-text ``detail`` (FastAPI allows
    any JSON value) is sent as JSON text, since a problem's ``detail`` is
    text and a page can still parse it (its ``str()`` was a Python repr).
    Starlette fills a missing ``detail`` with the status phrase ("Not
    Found"); that one gives ajaxkit's default detail, as a bare ``abort(404)``
    on Flask and ``Http404()`` on Django do.
    """
    if not isinstance(exc, HTTPException):
        return None
    detail: str | None = None
    if not isinstance(exc.detail, str):
        detail = json.dumps(exc.detail, ensure_ascii=False, default=str)
    elif exc.detail != _phrase(exc.status_code):
        detail = exc.detail
    error = error_for_status(exc.status_code, detail, exc.headers)
    error.__cause__ = exc
    return error


def close_for(exc: BaseException) -> tuple[int, str] | None:
    """``WebSocketException(code, reason)``, raised by a WebSocket handler, closes
    the session with that code and reason, as in a Starlette endpoint
    (FastAPI's subclasses it)."""
    if not isinstance(exc, WebSocketException):
        return None
    return exc.code, exc.reason or ""


def _phrase(status: int) -> str | None:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status the standard library does not name
        return None


def describe_native(response: Response) -> NativeSummary:
    """Status, body, content type and headers of a Starlette response (its
    cookies are ``set-cookie`` headers already)."""
    # A StreamingResponse or a FileResponse has no body: it sends one as it reads it.
    body = getattr(response, "body", None)
    headers = tuple(response.headers.items())
    return NativeSummary(
        response.status_code, bytes(body or b""), response.media_type, headers, body is None
    )


def view_decorator_advice() -> DecoratorAdvice:
    """Starlette's view decorator and what an endpoint writes instead."""
    return (
        (
            (requires("authenticated"),),
            "Starlette's requires() reads Starlette's request, so it fails on ajaxkit's, "
            "and answers with its own 403 or redirect; remove it and write "
            "@api.endpoint(..., login_required=True) for a 401 problem, or "
            "permission=lambda request: ... for a 403.",
        ),
    )


#: What to write instead of a BackgroundTasks parameter (FastAPI's subclasses
#: Starlette's): a response runs its background work once it is sent.
_BACKGROUND_ADVICE = (
    "To run work after the answer is sent, return a response carrying it: "
    "JSONResponse(body, background=BackgroundTask(func, *args)) "
    "(starlette.background.BackgroundTask, or BackgroundTasks for several)."
)

#: Starlette responses pass through; sync code runs in anyio's thread pool
#: (as Starlette runs sync endpoints); CSRF is the core's policy.
STARLETTE_PLATFORM = declare(
    Platform(
        name="starlette",
        user_source="Starlette's AuthenticationMiddleware (starlette.middleware.authentication)",
        native_response_types=(Response,),
        translate_exception=translate_exception,
        close_for=close_for,
        run_in_thread=run_in_threadpool,
        describe_native=describe_native,
        amend_native=amend_status_code,
        request_types=(Request,),
        check_decorator=view_decorator_check(view_decorator_advice),
        upload_types=(UploadFile,),
        injected_types=((BackgroundTasks, _BACKGROUND_ADVICE),),
    )
)


def csrf_token(api: Ajax, request: HTTPConnection) -> tuple[str, Cookie | None]:
    """The CSRF token for a server-rendered page, and the cookie to set (or ``None``).

    The client's current token is reused while valid.  Set a returned cookie
    with ``response.headers.append("set-cookie", cookie.header_value())``.
    A page's own ``fetch()`` does not need the token; scripts and old
    browsers do.
    """
    settings = api.settings
    return page_token(request.cookies, settings.csrf, csrf_signer(settings), settings.clock)
