"""FastAPI (uvicorn, uvloop + httptools): ``bench.apps.fastapi_app:app``.

The raw side is FastAPI's idiom: typed parameters and return annotations,
so FastAPI validates and serializes through pydantic.  The ajaxkit echo
takes and returns the same ``Note`` model, so both echoes do the same work.
ajaxkit is mounted with ``ajaxkit.fastapi.mount`` (a ``Mount``, the idiom), or
with ``BENCH_MOUNT=front``
served ahead of the app by ``ajaxkit.fastapi.front``.  The ``peer`` side
limits with slowapi (:mod:`bench.apps.slowapi_limiter`).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp

import ajaxkit.fastapi
from bench.apps import slowapi_limiter
from bench.apps.data import (
    RATE,
    SMALL,
    USERS,
    Note,
    asgi_handlers_async,
    front_mount,
    make_api,
    serves,
)

__all__ = ["app"]


class Message(BaseModel):
    message: str


class User(BaseModel):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    date_joined: datetime
    last_login: datetime


async def small() -> Message:
    return Message(message=SMALL["message"])


async def users() -> list[User]:
    return USERS  # type: ignore[return-value]  # FastAPI validates the dicts


async def echo(note: Note) -> Note:
    return note


def small_sync() -> Message:
    return Message(message=SMALL["message"])


def users_sync() -> list[User]:
    return USERS  # type: ignore[return-value]


def echo_sync(note: Note) -> Note:
    return note


async def limited(request: Request, response: Response) -> Message:
    return Message(message=SMALL["message"])


def limited_sync(request: Request, response: Response) -> Message:
    return Message(message=SMALL["message"])


def serve_peers(app: FastAPI) -> None:
    """``/peer/*``: the raw views, plus ``limited`` (``small`` under slowapi's ``100/second``).

    slowapi writes its headers into the ``response`` parameter when a view
    answers a model, so the limited view takes ``request`` and ``response``.
    """
    limiter = slowapi_limiter.limiter()
    slowapi_limiter.attach(app, limiter)
    views = (small, users, echo, limited)
    if not asgi_handlers_async():
        views = (small_sync, users_sync, echo_sync, limited_sync)  # type: ignore[assignment]
    app.get("/peer/small")(views[0])
    app.get("/peer/users")(views[1])
    app.post("/peer/echo")(views[2])
    app.get("/peer/limited")(limiter.limit(RATE)(views[3]))


fastapi_app = FastAPI()

if serves("raw"):
    views = (small, users, echo) if asgi_handlers_async() else (small_sync, users_sync, echo_sync)
    fastapi_app.get("/raw/small")(views[0])
    fastapi_app.get("/raw/users")(views[1])
    fastapi_app.post("/raw/echo")(views[2])

if serves("peer"):
    serve_peers(fastapi_app)

app: ASGIApp = fastapi_app
if serves("ajax"):
    # Both echoes validate the body into ``Note`` and answer the model.
    api = make_api(asgi_handlers_async(), typed_echo=True)
    if front_mount():
        app = ajaxkit.fastapi.front(api, fastapi_app, prefix="/ajax")
    else:
        fastapi_app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api))
