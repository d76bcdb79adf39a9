"""Serve an :class:`~ajaxkit.Ajax` registry with FastAPI: mount the Starlette app::

    from fastapi import FastAPI

    import ajaxkit.fastapi

    app = FastAPI()
    app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))

(``app.mount("/ajax", ajaxkit.fastapi.app(api))`` works too, but leaves paths
holding a newline to FastAPI's own 404; see :func:`ajaxkit.starlette.mount`.)
Given ``app=``, the registry's endpoints also appear in the app's own
``/openapi.json`` and ``/docs`` (:func:`include_in_openapi`).

FastAPI is Starlette underneath, so this is :func:`ajaxkit.starlette.app`:
``fastapi.HTTPException`` subclasses Starlette's and FastAPI responses are
Starlette responses, so both are handled already.  There is deliberately no
``APIRouter`` helper: ajaxkit routes, binds and validates by itself, so a
router would only wrap this same mount (FastAPI's ``include_router`` does not
even carry mounts over).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from ajaxkit.core.openapi import openapi_document
from ajaxkit.core.openapi.merge import merge_document
from ajaxkit.core.registry import Ajax
from ajaxkit.starlette import AjaxApp, AjaxMount, app
from ajaxkit.starlette import mount as starlette_mount

__all__ = ["AjaxApp", "AjaxMount", "app", "include_in_openapi", "mount"]


def mount(
    path: str,
    api: Ajax,
    *,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    app: FastAPI | None = None,
) -> AjaxMount:
    """:func:`ajaxkit.starlette.mount`; with ``app``, also :func:`include_in_openapi`."""
    mounted = starlette_mount(path, api, name=name, config=config)
    if app is not None:
        include_in_openapi(app, path, api)
    return mounted


def include_in_openapi(app: FastAPI, path: str, api: Ajax) -> None:
    """List ``api``'s endpoints, mounted at ``path``, in ``app.openapi()`` (and ``/docs``).

    Wraps ``app.openapi``: FastAPI builds its document once and keeps it in
    ``app.openapi_schema``; the registry's paths are merged into it then.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = merge_document(build(), openapi_document(api, path), path)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
