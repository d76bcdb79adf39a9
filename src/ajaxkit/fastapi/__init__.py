"""Serve an :class:`~ajaxkit.Ajax` registry with FastAPI: mount the ASGI app::

    from fastapi import FastAPI

    import ajaxkit.fastapi

    app = FastAPI()
    app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))

(``app.mount("/ajax", ajaxkit.fastapi.app(api))`` works too, but leaves paths
holding a newline to FastAPI's own 404; see :func:`ajaxkit.starlette.mount`.)
Given ``app=``, the registry's endpoints also appear in the app's own
``/openapi.json`` and ``/docs`` (:func:`include_in_openapi`).

FastAPI is Starlette underneath, so this is :func:`ajaxkit.starlette.app`
with FastAPI's facts added: ``fastapi.HTTPException`` subclasses Starlette's
and FastAPI responses are Starlette responses, so both are handled already.

* It is an ASGI app, not an ``APIRouter``: ajaxkit routes, binds and
  validates by itself, so a router would only wrap this same mount.
  ``app.include_router(ajaxkit.fastapi.app(api))`` fails with an error
  saying to ``mount`` it.
* FastAPI's dependency injection does not run: a handler parameter defaulting
  to ``Depends(...)`` is refused at registration.  Take the request
  (``request: AjaxRequest``) and call the dependency yourself, or use a
  ``permission=`` hook or a Starlette middleware for what applies to many
  endpoints.  App-wide ``FastAPI(dependencies=[...])`` do not run for a
  mounted app either; given the app, :func:`mount` and :func:`front` warn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ajaxkit.core.registry import require_registry as _require_registry
from ajaxkit.fastapi import asgi as _asgi
from ajaxkit.fastapi.asgi import AjaxApp
from ajaxkit.fastapi.openapi import include_in_openapi
from ajaxkit.fastapi.platform import FASTAPI_PLATFORM
from ajaxkit.starlette.asgi import AjaxMount
from ajaxkit.starlette.config import apply_mount_config as _apply_mount_config
from ajaxkit.starlette.front import FrontApp
from ajaxkit.starlette.front import check_prefix as _check_prefix
from ajaxkit.starlette.platform import csrf_token

if TYPE_CHECKING:  # only for the annotations; not part of this package's exports
    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from ajaxkit.core.registry import Ajax
    from ajaxkit.starlette.config import MountConfig

__all__ = [
    "FASTAPI_PLATFORM",
    "AjaxApp",
    "AjaxMount",
    "FrontApp",
    "app",
    "csrf_token",
    "front",
    "include_in_openapi",
    "mount",
]


def app(api: Ajax, *, config: MountConfig | None = None) -> AjaxApp:
    """The ASGI app serving ``api``; ``app.mount("/ajax", ajaxkit.fastapi.app(api))``.

    Args:
        api: the registry whose endpoints answer below the mount.
        config: settings by configuration name, as for
            :func:`ajaxkit.starlette.app` (``docs/settings.md``).
    """
    _require_registry(api, "ajaxkit.fastapi.app")
    _apply_mount_config(api, config)
    return AjaxApp(api)


def mount(
    path: str,
    api: Ajax,
    *,
    name: str | None = None,
    config: MountConfig | None = None,
    app: FastAPI | None = None,
) -> AjaxMount:
    """A route serving ``api`` below ``path``, as :func:`ajaxkit.starlette.mount`.

    ``app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))``.

    Args:
        path: the mount prefix (``"/ajax"``).
        api: the registry whose endpoints answer below it.
        name: the route name, for ``url_path_for``.
        config: settings by configuration name, as for :func:`app`.
        app: the FastAPI app; given, the registry's endpoints also appear
            in its ``/openapi.json`` and ``/docs`` (:func:`include_in_openapi`).
    """
    _require_registry(api, "ajaxkit.fastapi.mount")
    _apply_mount_config(api, config)
    _asgi.refuse_depends(api)
    if app is not None:
        _asgi.warn_unrun_dependencies(app, path)
        include_in_openapi(app, path, api)
    return AjaxMount(path, api, name=name, platform=FASTAPI_PLATFORM)


def front(
    api: Ajax, app: ASGIApp, *, prefix: str = "/ajax", config: MountConfig | None = None
) -> FrontApp:
    """Serve ``api`` below ``prefix`` ahead of the FastAPI ``app``, skipping its router.

    Args:
        api: the registry to serve.
        app: the FastAPI app serving everything else.
        prefix: where the registry's endpoints live.
        config: settings by configuration name, as for :func:`app`.
    """
    _require_registry(api, "ajaxkit.fastapi.front")
    _check_prefix(prefix)
    _apply_mount_config(api, config)
    _asgi.refuse_depends(api)
    _asgi.warn_unrun_dependencies(app, prefix)
    return FrontApp(AjaxApp(api), app, prefix)
