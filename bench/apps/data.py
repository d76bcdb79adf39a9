"""The data every benchmarked app serves, and the ajaxkit registry serving it.

Built once at import, identical in every app, so the only difference between
two measurements is the code path that turns it into a response.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any

from ajaxkit import Ajax, AjaxRequest

__all__ = [
    "ECHO_BODY",
    "ENDPOINTS",
    "SMALL",
    "USERS",
    "asgi_handlers_async",
    "make_api",
    "serves",
    "wrong_answer",
]

#: The three benchmarked endpoints, below ``/raw/`` and ``/ajax/``.
ENDPOINTS = ("small", "users", "echo")

#: The small dict (the classic "JSON hello world").
SMALL: dict[str, str] = {"message": "Hello, World!"}

_EPOCH = datetime(2024, 1, 1, 9, 30, tzinfo=timezone.utc)


def _user(i: int) -> dict[str, Any]:
    # Shaped like a serialized Django ``User`` row: two real datetimes, so
    # every app has to encode datetimes the way it does in production.
    return {
        "id": i,
        "username": f"user{i:03d}",
        "email": f"user{i:03d}@example.com",
        "first_name": f"First{i}",
        "last_name": f"Last{i}",
        "is_active": i % 7 != 0,
        "is_staff": i % 10 == 0,
        "date_joined": _EPOCH + timedelta(days=i, minutes=17 * i),
        "last_login": _EPOCH + timedelta(days=100 + i, seconds=3541 * i, microseconds=i),
    }


#: 100 user records with ``datetime`` values.
USERS: list[dict[str, Any]] = [_user(i) for i in range(1, 101)]

#: The JSON body posted to the echo endpoints (and expected back).
ECHO_BODY: dict[str, Any] = {
    "title": "Buy milk",
    "body": "Two litres, semi-skimmed, from the shop on the corner.",
    "tags": ["home", "errands", "today"],
    "priority": 2,
    "done": False,
    "assignee": {"id": 42, "username": "user042"},
}


def serves(side: str) -> bool:
    """Whether this process serves ``side`` (``"raw"`` or ``"ajax"``): ``BENCH_SIDE``.

    ``bench/run.py`` starts one process per side, so neither pays for the
    other's routes (a framework tries its routes in order); without
    ``BENCH_SIDE`` an app serves both, which is handy by hand.
    """
    chosen = os.environ.get("BENCH_SIDE", "both")
    if chosen not in ("raw", "ajax", "both"):
        raise ValueError(f"BENCH_SIDE must be raw, ajax or both, not {chosen!r}")
    return chosen in (side, "both")


def asgi_handlers_async() -> bool:
    """Whether ASGI servers use ``async def`` handlers (``BENCH_ASGI_HANDLERS``, default yes).

    Raw Starlette/FastAPI views are idiomatically ``async def``; a sync
    handler costs a thread-pool hop on either side, so both sides use the
    same kind (``BENCH_ASGI_HANDLERS=sync`` measures the hop instead).
    """
    return os.environ.get("BENCH_ASGI_HANDLERS", "async") != "sync"


def make_api(asynchronous: bool) -> Ajax:
    """The ajaxkit registry serving the three endpoints.

    Args:
        asynchronous: register ``async def`` handlers instead of ``def``.
    """
    api = Ajax()
    if asynchronous:
        _register_async(api)
    else:
        _register_sync(api)
    return api


def _register_sync(api: Ajax) -> None:
    @api.endpoint("small", methods=["GET"])
    def small(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("users", methods=["GET"])
    def users(request: AjaxRequest) -> list[dict[str, Any]]:
        return USERS

    # CSRF exempt on every framework: the raw echo views are exempt too, and
    # the benchmark measures dispatch, not token checking.
    @api.endpoint("echo", methods=["POST"], csrf_exempt=True)
    def echo(request: AjaxRequest) -> Any:
        return request.data


def _register_async(api: Ajax) -> None:
    @api.endpoint("small", methods=["GET"])
    async def small(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("users", methods=["GET"])
    async def users(request: AjaxRequest) -> list[dict[str, Any]]:
        return USERS

    @api.endpoint("echo", methods=["POST"], csrf_exempt=True)
    async def echo(request: AjaxRequest) -> Any:
        return request.data


def wrong_answer(endpoint: str, value: Any) -> str | None:
    """Why the decoded JSON ``value`` is not the right answer for ``endpoint``, or ``None``.

    Datetime formats are the frameworks' own business (Flask writes HTTP
    dates, pydantic ``Z``), so users are checked by shape and ids.
    """
    if endpoint == "small" and value != SMALL:
        return f"small answered {value!r}"
    if endpoint == "echo" and value != ECHO_BODY:
        return f"echo answered {value!r}"
    if endpoint == "users":
        if not (isinstance(value, list) and len(value) == len(USERS)):
            return "users did not answer a list of 100"
        if [u.get("id") for u in value] != [u["id"] for u in USERS]:
            return "users answered the wrong records"
        if set(value[0]) != set(USERS[0]):
            return f"users answered records with keys {sorted(value[0])}"
    return None
