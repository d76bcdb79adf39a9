"""Serve an :class:`~ajaxkit.Ajax` registry with Starlette::

    from starlette.applications import Starlette

    import ajaxkit.starlette

    app = Starlette(routes=[ajaxkit.starlette.mount("/ajax", api)])

:func:`mount` is Starlette's ``Mount`` whose pattern also matches paths
holding a newline (``%0a``), so that every path below it gets ajaxkit's
problem documents; ``Mount("/ajax", app=ajaxkit.starlette.app(api))`` works
too, but leaves those paths to Starlette's plain-text 404.

The user is ``scope["user"]``, set by Starlette's ``AuthenticationMiddleware``
(``None`` without it).  WebSocket endpoints (``@api.websocket``) are served
under the same mount: the ``websocket`` scope goes to the core's session.
Handlers may return Starlette responses (they pass through) and raise
``HTTPException`` (it becomes the matching problem).

For the fastest path, :func:`front` serves the registry ahead of the app
instead of through its router (see :mod:`ajaxkit.starlette.front`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ajaxkit.core.registry import require_registry as _require_registry
from ajaxkit.starlette.asgi import AjaxApp, AjaxMount
from ajaxkit.starlette.config import apply_mount_config as _apply_mount_config
from ajaxkit.starlette.front import FrontApp, front
from ajaxkit.starlette.platform import STARLETTE_PLATFORM, csrf_token

if TYPE_CHECKING:  # only for the annotations; not part of this package's exports
    from ajaxkit.core.registry import Ajax
    from ajaxkit.starlette.config import MountConfig

__all__ = [
    "STARLETTE_PLATFORM",
    "AjaxApp",
    "AjaxMount",
    "FrontApp",
    "app",
    "csrf_token",
    "front",
    "mount",
]


def app(api: Ajax, *, config: MountConfig | None = None) -> AjaxApp:
    """The ASGI app serving ``api``; mount it where the endpoints should live.

    Args:
        api: the registry whose endpoints answer below the mount.
        config: settings by configuration name, resolved now by the rule
            Django and Flask use (``docs/settings.md``); Starlette has no
            settings object of its own, so give e.g.
            ``{"DEBUG": app.debug, "AJAXKIT_MAX_BODY_SIZE": 10_000_000}``.
            A bare ajaxkit setting name (``MAX_BODY_SIZE``) is a
            ``ConfigurationError`` saying to write ``AJAXKIT_MAX_BODY_SIZE``;
            other keys are ignored.
    """
    _require_registry(api, "ajaxkit.starlette.app")
    _apply_mount_config(api, config)
    return AjaxApp(api)


def mount(
    path: str, api: Ajax, *, name: str | None = None, config: MountConfig | None = None
) -> AjaxMount:
    """A Starlette route serving ``api`` below ``path`` (every path, newlines included).

    Args:
        path: the mount prefix (``"/ajax"``).
        api: the registry whose endpoints answer below it.
        name: the route name, for ``url_path_for``.
        config: settings by configuration name, as for :func:`app`.
    """
    _require_registry(api, "ajaxkit.starlette.mount")
    _apply_mount_config(api, config)
    return AjaxMount(path, api, name=name)
