"""WebSocket endpoints for Django under ASGI, without Django Channels.

Django's own ASGI handler serves HTTP only.  :func:`asgi` wraps it: a
``websocket`` connection under the mount prefix goes to ajaxkit's core
session (:func:`ajaxkit.core.websocket.serve_websocket`), everything else —
HTTP, lifespan, WebSockets elsewhere — to the wrapped application, untouched.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.apps import apps
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase

from ajaxkit.core.asgi import Receive, Scope, Send
from ajaxkit.core.endpoint import WEBSOCKET
from ajaxkit.core.registry import Ajax, require_registry
from ajaxkit.core.websocket import serve_websocket
from ajaxkit.django.adapter import to_ajax_request
from ajaxkit.django.platform import DJANGO_PLATFORM
from ajaxkit.django.views import apply_django_settings
from ajaxkit.types import AjaxRequest

__all__ = ["WebSocketMount", "asgi", "websocket_request"]

# ``app(scope, receive, send)``, loosely typed: Django's stubs declare the
# scope a dict, which a stricter alias would refuse.
_ASGIApp = Callable[..., Awaitable[Any]]


def asgi(application: _ASGIApp, api: Ajax, *, prefix: str = "/ajax/") -> WebSocketMount:
    """Serve ``api``'s WebSocket endpoints under ``prefix`` beside ``application``.

    In ``asgi.py``::

        application = ajaxkit.django.asgi(get_asgi_application(), api, prefix="/ajax/")

    Mount the HTTP endpoints as usual (``path("ajax/", include(urls(api)))``);
    a route may have both.  Wrappers nest, one per registry.  Django
    settings are read now, as :func:`~ajaxkit.django.urls` does.

    Args:
        application: Django's ASGI application (or any ASGI app).
        api: the registry whose ``WEBSOCKET`` endpoints answer under ``prefix``.
        prefix: the mount path, as in the URLconf.
    """
    return WebSocketMount(application, require_registry(api, "ajaxkit.django.asgi"), prefix)


class WebSocketMount:
    """The ASGI app :func:`asgi` returns."""

    __slots__ = ("api", "application", "prefix")

    def __init__(self, application: _ASGIApp, api: Ajax, prefix: str) -> None:
        apply_django_settings(api)
        self.application = application
        self.api = api
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "websocket" else None
        if route is None:
            await self.application(scope, receive, send)
            return
        # Sync work of this session (the session store, permission hooks)
        # gets its own thread, as Django gives each HTTP request one.
        async with ThreadSensitiveContext():
            try:
                request = websocket_request(scope, route)
                await serve_websocket(
                    self.api, request, scope, receive, send, platform=DJANGO_PLATFORM
                )
            finally:
                await sync_to_async(close_old_connections)()

    def _route(self, scope: Scope) -> str | None:
        """The path below the prefix, or ``None`` outside it."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path == self.prefix.rstrip("/"):
            return ""
        return path[len(self.prefix) :] if path.startswith(self.prefix) else None


def websocket_request(scope: Scope, route: str) -> AjaxRequest:
    """The :class:`AjaxRequest` of a handshake, with Django's session and user.

    ``native`` is a Django ``HttpRequest`` of the handshake, given
    ``request.session`` and ``request.user`` by Django's own session and
    authentication middleware (when those apps are installed), so the
    user comes from the session cookie exactly as for an HTTP request.
    Nothing is loaded until the session asks for the user.  Changes to
    ``native.session`` are not saved: no response carries the cookie back.
    """
    # Imported here: django.contrib.auth's middleware imports its models,
    # which need configured settings, and importing ajaxkit.django must not.
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    # Django's request class wants a method; the handshake is a GET.
    native = ASGIRequest({**scope, "method": "GET"}, io.BytesIO())
    if apps.is_installed("django.contrib.sessions"):
        SessionMiddleware(_no_view).process_request(native)
        if apps.is_installed("django.contrib.auth"):
            AuthenticationMiddleware(_no_view).process_request(native)
    request = to_ajax_request(native, route)
    request.method = WEBSOCKET
    # ws/wss: the page's origin is http(s), which is what its Origin says.
    # Django's scheme, as for HTTP: behind a TLS proxy speaking ws:// to the
    # app, SECURE_PROXY_SSL_HEADER makes it https.
    request.scheme = "https" if native.scheme in ("https", "wss") else "http"
    return request


def _no_view(request: HttpRequest) -> HttpResponseBase:
    """The middleware's ``get_response``: only ``process_request`` is used."""
    raise AssertionError("not a real middleware chain")
