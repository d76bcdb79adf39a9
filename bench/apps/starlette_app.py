"""Starlette (uvicorn, uvloop + httptools): ``bench.apps.starlette_app:app``.

ajaxkit is mounted with ``ajaxkit.starlette.mount`` (a ``Mount``, the idiom),
or with ``BENCH_MOUNT=front``
served ahead of the app by ``ajaxkit.starlette.front``.  The ``peer`` side
limits with slowapi; Starlette has no CSRF package of its own to set beside
ajaxkit's step.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

import ajaxkit.starlette
from bench.apps import slowapi_limiter
from bench.apps.data import (
    RATE,
    SMALL,
    USERS,
    asgi_handlers_async,
    front_mount,
    make_api,
    serves,
)

__all__ = ["app"]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class DatetimeJSONResponse(JSONResponse):
    """Starlette's documented way to encode more types: subclass and override ``render``.

    Identical to ``JSONResponse.render`` apart from ``default``.
    """

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content,
            ensure_ascii=False,
            allow_nan=False,
            indent=None,
            separators=(",", ":"),
            default=_iso,
        ).encode("utf-8")


async def asmall(request: Request) -> JSONResponse:
    return JSONResponse({"message": SMALL["message"]})


async def ausers(request: Request) -> JSONResponse:
    return DatetimeJSONResponse(USERS)


async def aecho(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


def small(request: Request) -> JSONResponse:
    return JSONResponse({"message": SMALL["message"]})


def users(request: Request) -> JSONResponse:
    return DatetimeJSONResponse(USERS)


# Starlette has no sync way to read a body, so echo stays async either way.


async def alimited(request: Request) -> JSONResponse:
    return JSONResponse({"message": SMALL["message"]})


def limited(request: Request) -> JSONResponse:
    return JSONResponse({"message": SMALL["message"]})


def _peer_routes(limiter: Any) -> list[Route | Mount]:
    """``/peer/*``: the raw views, plus ``limited`` (``small`` under slowapi's ``100/second``)."""
    return [
        Route("/peer/small", asmall if _ASYNC else small),
        Route("/peer/users", ausers if _ASYNC else users),
        Route("/peer/echo", aecho, methods=["POST"]),
        Route("/peer/limited", limiter.limit(RATE)(alimited if _ASYNC else limited)),
    ]


_ASYNC = asgi_handlers_async()

routes: list[Route | Mount] = []
limiter = slowapi_limiter.limiter() if serves("peer") else None
if limiter is not None:
    routes += _peer_routes(limiter)
if serves("raw"):
    routes += [
        Route("/raw/small", asmall if _ASYNC else small),
        Route("/raw/users", ausers if _ASYNC else users),
        Route("/raw/echo", aecho, methods=["POST"]),
    ]
app: ASGIApp
if serves("ajax") and front_mount():
    app = ajaxkit.starlette.front(make_api(_ASYNC), Starlette(routes=routes), prefix="/ajax")
else:
    if serves("ajax"):
        routes.append(ajaxkit.starlette.mount("/ajax", make_api(_ASYNC)))
    app = Starlette(routes=routes)
    if limiter is not None:
        slowapi_limiter.attach(app, limiter)
