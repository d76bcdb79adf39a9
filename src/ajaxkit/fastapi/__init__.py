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

from ajaxkit.fastapi.mounting import include_in_openapi, mount
from ajaxkit.starlette import AjaxApp, AjaxMount, app

__all__ = ["AjaxApp", "AjaxMount", "app", "include_in_openapi", "mount"]
