"""The data every benchmarked app serves, and the ajaxkit registry serving it.

Built once at import, identical in every app, so the only difference between
two measurements is the code path that turns it into a response.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import BaseModel

from ajaxkit import Ajax, AjaxRequest

__all__ = [
    "ECHO_BODY",
    "ENDPOINTS",
    "RATE",
    "SMALL",
    "USERS",
    "Assignee",
    "Note",
    "asgi_handlers_async",
    "front_mount",
    "make_api",
    "serves",
    "wrong_answer",
]

#: The three benchmarked endpoints, below ``/raw/`` and ``/ajax/``.
ENDPOINTS = ("small", "users", "echo")

#: The limit of ajaxkit's ``limited`` endpoint and of every peer's limited view.
RATE = "100/second"

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


class Assignee(BaseModel):
    id: int
    username: str


class Note(BaseModel):
    """The echo body as a model: FastAPI's idiom validates a body into one."""

    title: str
    body: str
    tags: list[str]
    priority: int
    done: bool
    assignee: Assignee


def serves(side: str) -> bool:
    """Whether this process serves ``side`` (``"raw"``, ``"ajax"`` or ``"peer"``): ``BENCH_SIDE``.

    ``bench/run.py`` starts one process per side, so neither pays for the
    other's routes (a framework tries its routes in order); without
    ``BENCH_SIDE`` an app serves raw and ajax, which is handy by hand.

    ``peer`` is the raw views again, below ``/peer/``, with the packages a
    user of the framework installs instead of ajaxkit's guards (a rate
    limiter, a CSRF check) and their guarded views.  Only ever on its own:
    some of those packages hook every request of the app they are installed
    on, which would tax the raw baseline and ajaxkit's routes.
    """
    chosen = os.environ.get("BENCH_SIDE", "both")
    if chosen not in ("raw", "ajax", "peer", "both"):
        raise ValueError(f"BENCH_SIDE must be raw, ajax, peer or both, not {chosen!r}")
    return chosen == side or (chosen == "both" and side != "peer")


def asgi_handlers_async() -> bool:
    """Whether ASGI servers use ``async def`` handlers (``BENCH_ASGI_HANDLERS``, default yes).

    Raw Starlette/FastAPI views are idiomatically ``async def``; a sync
    handler costs a thread-pool hop on either side, so both sides use the
    same kind (``BENCH_ASGI_HANDLERS=sync`` measures the hop instead).
    """
    return os.environ.get("BENCH_ASGI_HANDLERS", "async") != "sync"


def front_mount() -> bool:
    """Whether Starlette/FastAPI serve ajaxkit with ``ajaxkit.starlette.front``
    (``BENCH_MOUNT=front``) rather than the idiomatic ``Mount`` (the default).
    """
    chosen = os.environ.get("BENCH_MOUNT", "mount")
    if chosen not in ("mount", "front"):
        raise ValueError(f"BENCH_MOUNT must be mount or front, not {chosen!r}")
    return chosen == "front"


def make_api(asynchronous: bool, *, typed_echo: bool = False) -> Ajax:
    """The ajaxkit registry serving the three endpoints and the two safety ones.

    ``echo-csrf`` is ``echo`` with the CSRF step on and ``limited`` is
    ``small`` limited to ``100/second`` per client address (one proxy in
    front is trusted, so ``X-Forwarded-For`` names the client); the safety
    comparisons set each against its unguarded twin on the same server.
    ``BENCH_RATE_STORAGE`` (a ``redis://`` URI) keeps the counters in Redis
    instead of memory.

    Args:
        asynchronous: register ``async def`` handlers instead of ``def``.
        typed_echo: the echo handler takes and returns a :class:`Note`
            (validated by pydantic), as FastAPI's raw echo does, so that the
            two are compared like for like.
    """
    # BENCH_TRUSTED_PROXIES=0 (bench/instructions.py --trusted-proxies 0)
    # keys the limit by the address the server hands over instead.
    trusted_proxies = int(os.environ.get("BENCH_TRUSTED_PROXIES", "1"))
    api = Ajax(trusted_proxies=trusted_proxies, **_rate_storage())
    if asynchronous:
        _register_async(api)
    else:
        _register_sync(api)
    # CSRF exempt on every framework: the raw echo views are exempt too, and
    # the benchmark measures dispatch, not token checking.
    echo = _echo(asynchronous, typed_echo)
    api.endpoint("echo", methods=["POST"], csrf_exempt=True)(echo)
    api.endpoint("echo-csrf", methods=["POST"])(echo)
    limited = api.endpoint("limited", methods=["GET"], rate=RATE, rate_key="ip")
    limited(_small(asynchronous))
    return api


def _rate_storage() -> dict[str, Any]:
    """``rate_limit_storage`` from ``BENCH_RATE_STORAGE``, under a prefix of this process's own."""
    uri = os.environ.get("BENCH_RATE_STORAGE")
    if not uri:
        return {}
    from limits.storage import RedisStorage

    # Another run's (or tenant's) counters never meet this one's.
    return {"rate_limit_storage": RedisStorage(uri, key_prefix=f"ajaxkit-bench:{os.getpid()}")}


def _small(asynchronous: bool) -> Any:
    def small(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    async def asmall(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    return asmall if asynchronous else small


def _register_sync(api: Ajax) -> None:
    @api.endpoint("small", methods=["GET"])
    def small(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("users", methods=["GET"])
    def users(request: AjaxRequest) -> list[dict[str, Any]]:
        return USERS


def _register_async(api: Ajax) -> None:
    @api.endpoint("small", methods=["GET"])
    async def small(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("users", methods=["GET"])
    async def users(request: AjaxRequest) -> list[dict[str, Any]]:
        return USERS


def _echo(asynchronous: bool, typed: bool) -> Any:
    def echo(request: AjaxRequest) -> Any:
        return request.data

    async def aecho(request: AjaxRequest) -> Any:
        return request.data

    def typed_echo(note: Note) -> Note:
        return note

    async def atyped_echo(note: Note) -> Note:
        return note

    if typed:
        return atyped_echo if asynchronous else typed_echo
    return aecho if asynchronous else echo


def wrong_answer(endpoint: str, value: Any) -> str | None:
    """Why the decoded JSON ``value`` is not the right answer for ``endpoint``, or ``None``.

    Users are compared record by record and value by value.  How a datetime
    is spelled is the framework's business (ISO 8601 with ``+00:00`` or
    ``Z``, Django's to the millisecond; Flask writes HTTP dates, to the
    second), so datetimes are compared as instants, to the precision given.
    """
    if endpoint == "small" and value != SMALL:
        return f"small answered {value!r}"
    if endpoint == "echo" and value != ECHO_BODY:
        return f"echo answered {value!r}"
    if endpoint == "users":
        if not (isinstance(value, list) and len(value) == len(USERS)):
            return "users did not answer a list of 100"
        for got, expected in zip(value, USERS, strict=True):
            problem = _wrong_user(got, expected)
            if problem:
                return f"users answered record {expected['id']} wrongly: {problem}"
    return None


def _wrong_user(got: Any, expected: dict[str, Any]) -> str | None:
    if not isinstance(got, dict) or set(got) != set(expected):
        keys = sorted(got) if isinstance(got, dict) else got
        return f"keys {keys!r}"
    for key, want in expected.items():
        ok = _same_instant(got[key], want) if isinstance(want, datetime) else got[key] == want
        if not ok:
            return f"{key} = {got[key]!r}, not {want!r}"
    return None


def _same_instant(text: Any, want: datetime) -> bool:
    """Whether ``text`` spells ``want``, to the precision ``text`` carries.

    Django's encoder keeps milliseconds, HTTP dates keep whole seconds.
    """
    if not isinstance(text, str):
        return False
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        digits = len(text.partition(".")[2].rstrip("Z").partition("+")[0])
    except ValueError:
        try:
            when = parsedate_to_datetime(text)  # an HTTP date (GMT)
        except (TypeError, ValueError):
            return False
        digits = 0
    unit = 10 ** (6 - min(digits, 6))
    return when.tzinfo is not None and when == want.replace(
        microsecond=want.microsecond // unit * unit
    )
