"""Serve an :class:`~ajaxkit.Ajax` registry with Starlette::

    from starlette.applications import Starlette
    from starlette.routing import Mount

    import ajaxkit.starlette

    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])

The user is ``scope["user"]``, set by Starlette's ``AuthenticationMiddleware``
(``None`` without it).  WebSocket endpoints (``@api.websocket``) are served
under the same mount: the ``websocket`` scope goes to the core's session.
Handlers may return Starlette responses (they pass through) and raise
``HTTPException`` (it becomes the matching problem).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ajaxkit.starlette.asgi import AjaxApp
from ajaxkit.starlette.platform import STARLETTE_PLATFORM, csrf_token

if TYPE_CHECKING:  # only for the annotation; not part of this package's exports
    from ajaxkit.core.registry import Ajax

__all__ = ["STARLETTE_PLATFORM", "AjaxApp", "app", "csrf_token"]


def app(api: Ajax) -> AjaxApp:
    """The ASGI app serving ``api``; mount it where the endpoints should live.

    Args:
        api: the registry whose endpoints answer below the mount.
    """
    return AjaxApp(api)
