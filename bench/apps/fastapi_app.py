"""FastAPI (uvicorn, uvloop + httptools): ``bench.apps.fastapi_app:app``.

The raw side is FastAPI's idiom: typed parameters and return annotations,
so FastAPI validates and serializes through pydantic.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel

import ajaxkit.fastapi
from bench.apps.data import SMALL, USERS, asgi_handlers_async, make_api

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


class Assignee(BaseModel):
    id: int
    username: str


class Note(BaseModel):
    title: str
    body: str
    tags: list[str]
    priority: int
    done: bool
    assignee: Assignee


app = FastAPI()

if asgi_handlers_async():

    @app.get("/raw/small")
    async def small() -> Message:
        return Message(message=SMALL["message"])

    @app.get("/raw/users")
    async def users() -> list[User]:
        return USERS  # type: ignore[return-value]  # FastAPI validates the dicts

    @app.post("/raw/echo")
    async def echo(note: Note) -> Note:
        return note

else:

    @app.get("/raw/small")
    def small_sync() -> Message:
        return Message(message=SMALL["message"])

    @app.get("/raw/users")
    def users_sync() -> list[User]:
        return USERS  # type: ignore[return-value]

    @app.post("/raw/echo")
    def echo_sync(note: Note) -> Note:
        return note


app.mount("/ajax", ajaxkit.fastapi.app(make_api(asgi_handlers_async())))

