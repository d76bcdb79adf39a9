"""Serve an :class:`~ajaxkit.Ajax` registry with FastAPI: mount the ASGI app::

    from fastapi import FastAPI

    import ajaxkit.fastapi

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))

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
  endpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ajaxkit.fastapi.asgi import AjaxApp
from ajaxkit.fastapi.platform import FASTAPI_PLATFORM

if TYPE_CHECKING:  # only for the annotations; not part of this package's exports
    from collections.abc import Mapping
    from typing import Any

    from ajaxkit.core.registry import Ajax

__all__ = ["FASTAPI_PLATFORM", "AjaxApp", "app"]


def app(api: Ajax, *, config: Mapping[str, Any] | None = None) -> AjaxApp:
    """The ASGI app serving ``api``; ``app.mount("/ajax", ajaxkit.fastapi.app(api))``.

    Args:
        api: the registry whose endpoints answer below the mount.
        config: settings by configuration name, as for
            :func:`ajaxkit.starlette.app` (``docs/settings.md``).
    """
    if config is not None:
        api.apply_config(config)
    return AjaxApp(api)
