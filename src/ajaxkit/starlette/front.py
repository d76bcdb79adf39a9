"""Serving a registry *in front of* a Starlette or FastAPI app, for the fastest path.

``Mount("/ajax", app=ajaxkit.starlette.app(api))`` is the idiom, and what the
docs show first.  Every request then also goes through the Starlette app's
error middleware, its router and the ``Mount``: several microseconds a
request, which for a small JSON answer is a tenth of the server's whole
work.  :func:`front` puts ajaxkit ahead of the app instead::

    app = FastAPI()                       # or Starlette(routes=[...])
    ...
    app = ajaxkit.starlette.front(api, app, prefix="/ajax")   # serve this one

Requests below ``prefix`` go straight to ajaxkit, exactly as if mounted
there (same answers, same ``root_path``, and ``request.app`` and
``request.url_for`` reach the app); every other request and the
lifespan go to ``app`` untouched.  The app's own middleware does not run
for ajaxkit's requests, so wrap the result in the middleware they need,
e.g. ``AuthenticationMiddleware(front(api, app), backend=...)``, which
then also sets ``scope["user"]`` for the app's routes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ajaxkit.core.registry import Ajax, require_registry
from ajaxkit.exceptions import ConfigurationError
from ajaxkit.starlette.asgi import AjaxApp
from ajaxkit.starlette.config import MountConfig, apply_mount_config

__all__ = ["FrontApp", "check_prefix", "front"]


def check_prefix(prefix: object) -> str:
    """``prefix`` itself, once it is known to be a path like ``"/ajax"``.

    Raises:
        ConfigurationError: naming the setting and the value (checked before
            any configuration is applied, so a refused mount changes nothing).
    """
    if not isinstance(prefix, str) or not prefix.startswith("/") or prefix.endswith("/"):
        raise ConfigurationError(
            f"front(prefix={prefix!r}): the prefix must start and not end with '/', like '/ajax'."
        )
    return prefix


class FrontApp:
    """An ASGI app sending requests below ``prefix`` to ajaxkit and the rest to ``app``.

    Args:
        ajax: the ajaxkit app serving the registry.
        app: the app serving everything else.
        prefix: where the registry's endpoints live (``"/ajax"``).
    """

    __slots__ = ("_below", "ajax", "app", "prefix")

    def __init__(self, ajax: AjaxApp, app: ASGIApp, prefix: str) -> None:
        self.ajax, self.app, self.prefix = ajax, app, check_prefix(prefix)
        self._below = prefix + "/"
        # A Starlette or FastAPI app puts itself and its router in the scope
        # (request.app.state, request.url_for), but it never sees ajaxkit's
        # requests here; another ASGI app has neither to give.  Handed to
        # the requests that ask for the framework's own (native_request), not
        # stored in every scope: two more keys grew the scope's dict on every
        # request (~1,100 instructions, most of a small GET's routing).
        router = getattr(app, "router", None)
        if router is not None:
            ajax.host_scope = {"app": app, "router": router}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            # As Starlette's routing reads it: the prefix follows ``root_path``
            # in ``path`` (or starts ``path``, from servers that strip it).
            start = len(root) if root and path.startswith(root) else 0
            if path.startswith(self._below, start):
                # What the app and its Mount put in the scope of the app mounted.
                scope["app_root_path"] = scope.get("app_root_path", root)
                scope["root_path"] = root + self.prefix
                await self.ajax(scope, receive, send)
                return
        await self.app(scope, receive, send)


def front(
    api: Ajax, app: ASGIApp, *, prefix: str = "/ajax", config: MountConfig | None = None
) -> FrontApp:
    """Serve ``api`` below ``prefix`` ahead of ``app`` (see the module docs).

    Args:
        api: the registry to serve.
        app: the Starlette or FastAPI app serving everything else.
        prefix: where the registry's endpoints live.
        config: settings by configuration name, as for
            :func:`ajaxkit.starlette.app`.
    """
    require_registry(api, "ajaxkit.starlette.front")
    check_prefix(prefix)
    apply_mount_config(api, config)
    return FrontApp(AjaxApp(api), app, prefix)
