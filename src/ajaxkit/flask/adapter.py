"""Translation between Flask's request/response and ajaxkit's neutral values."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import IO, Any

import flask
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wsgi import get_input_stream

from ajaxkit.core.querystring import parse_query
from ajaxkit.types import AjaxRequest, AjaxResponse, Cookie, LazyHeaders

__all__ = ["StreamBody", "current_user", "set_cookie", "to_ajax_request", "to_flask_response"]


class StreamBody:
    """A :class:`~ajaxkit.types.BodySource` over a werkzeug request's input.

    It reads at most ``limit + 1`` bytes, so an oversized body without a
    ``Content-Length`` (chunked) is refused without being buffered whole.  A
    body within the limit is handed back to werkzeug, so the handler can
    still call ``request.get_json()`` or read ``request.form``.  Under the
    mount ajaxkit's limit governs, not Flask's ``MAX_CONTENT_LENGTH`` (as
    on Django, whose ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is set aside the same way).
    """

    def __init__(self, request: WerkzeugRequest) -> None:
        self._request = request

    def read(self, limit: int) -> bytes:
        cached: bytes | None = getattr(self._request, "_cached_data", None)
        if cached is not None:  # a before_request hook already read it
            return cached[: limit + 1]
        data = _read_at_most(_stream(self._request), limit + 1)
        if len(data) <= limit:
            # Where werkzeug's get_data() caches a body; get_json() and form
            # parsing read it from there once the stream is consumed.
            self._request._cached_data = data
        return data

    async def aread(self, limit: int) -> bytes:
        # Flask serves WSGI, so the core never drives this source from an
        # event loop; it exists to satisfy the protocol.
        return self.read(limit)


def _stream(request: WerkzeugRequest) -> IO[bytes]:
    """``request.stream`` without werkzeug's ``max_content_length`` check.

    werkzeug's own guards stay: no reading past ``Content-Length``, and no
    unterminated stream without one.  A stream werkzeug already opened (a
    hook read part of it) is the one to continue.
    """
    if "stream" in request.__dict__:  # werkzeug caches it there
        return request.stream
    return get_input_stream(request.environ, max_content_length=None)


def _read_at_most(stream: IO[bytes], size: int) -> bytes:
    # werkzeug's LimitedStream may return fewer bytes than asked for,
    # so keep reading until ``size`` is reached or the body ends.
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def current_user() -> Any:
    """Flask-Login's ``current_user`` when the app has a login manager, else ``None``.

    Imported lazily: Flask-Login is optional, and an app with a login manager
    has it installed by definition.
    """
    if getattr(flask.current_app, "login_manager", None) is None:
        return None
    flask_login = importlib.import_module("flask_login")
    return flask_login.current_user._get_current_object()


# The two headers WSGI keeps without the HTTP_ prefix.
_UNPREFIXED = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _environ_header(environ: Mapping[str, Any], name: str) -> str | None:
    """One header straight from the WSGI environ, as werkzeug's ``headers.items()``
    would give it (so without building every header of the request)."""
    if "_" in name:  # the environ's underscores all read as dashes
        return None
    key = name.upper().replace("-", "_")
    if key in _UNPREFIXED:
        return environ.get(key) or None
    value: str | None = environ.get("HTTP_" + key)
    return value


def to_ajax_request(route: str, path_params: Mapping[str, Any] | None = None) -> AjaxRequest:
    """The :class:`AjaxRequest` for the current ``flask.request``.

    Args:
        route: the path below the ajaxkit mount.
        path_params: values Flask captured from the URL (wrapped views).
    """
    request = flask.request._get_current_object()  # type: ignore[attr-defined]
    ajax_request = AjaxRequest(
        method=request.method,
        path=request.script_root + request.path,
        route=route,
        # A partial, not a lambda: one Python frame less on every lookup.
        headers=LazyHeaders(
            request.headers.items, functools.partial(_environ_header, request.environ)
        ),
        # Not request.args: werkzeug keeps a percent-escape that is not
        # UTF-8 as it was ("%E9"), where the others read U+FFFD.
        query=parse_query(request.query_string),
        native=request,
        body=StreamBody(request),
        user_loader=current_user,
        scheme=request.scheme,
        client=request.remote_addr,
    )
    if path_params:
        ajax_request.path_params = dict(path_params)
    return ajax_request


def to_flask_response(response: AjaxResponse) -> flask.Response:
    """The Flask response for ``response``; a native response is returned as it is."""
    if response.native is not None:
        return response.native  # type: ignore[no-any-return]
    body = iter(response.stream) if response.stream is not None else response.body
    native: flask.Response = flask.current_app.response_class(
        body, status=response.status, headers=response.headers.multi_items()
    )
    if "Content-Type" not in response.headers:
        # Flask would otherwise label a bodiless 204 as text/html.
        del native.headers["Content-Type"]
    if "Content-Length" in response.headers:
        # werkzeug sets the length of the body it got; a HEAD answer's is
        # the length of the GET answer it stands for.
        native.headers["Content-Length"] = response.headers["Content-Length"]
    for cookie in response.cookies:
        set_cookie(native, cookie)
    return native


def set_cookie(native: flask.Response, cookie: Cookie) -> None:
    """Write ``cookie`` on a Flask response, every attribute included."""
    native.set_cookie(
        cookie.name,
        cookie.value,
        max_age=cookie.max_age,
        expires=cookie.expires,
        path=cookie.path,
        domain=cookie.domain,
        secure=cookie.secure,
        httponly=cookie.httponly,
        samesite=cookie.samesite,
    )
