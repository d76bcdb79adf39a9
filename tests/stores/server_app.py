"""The app the many-process tests serve: a rate-limited GET and an idempotent POST.

``uvicorn --factory tests.stores.server_app:from_env`` builds it from
environment variables, so several server processes share one Redis and one
database:

``LIMITS_DB``
    the SQLite file the POST inserts into (table ``orders``).
``LIMITS_REDIS_URL`` / ``LIMITS_PREFIX``
    Redis and the key prefix of this test run; without them, in-process stores.
``LIMITS_CLOCK_ORIGIN``
    the real time at which the shared clock reads :data:`CLOCK_BASE`, the
    start of a minute: the test starts the window when it starts, so a
    minute boundary never falls inside it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.starlette import app as starlette_app

CLOCK_BASE = 1_800_000_000.0  # a multiple of 60
HANDLER_SECONDS = 0.2  # how long the first POST is in flight


class ShiftedClock:
    """The real clock, moved so that ``origin`` reads :data:`CLOCK_BASE` in every process."""

    def __init__(self, origin: float) -> None:
        self.offset = CLOCK_BASE - origin

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


def create_table(db: str) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT)")


def build(db: str, redis_url: str | None, prefix: str, origin: float) -> Ajax:
    """The registry, on Redis stores when ``redis_url`` is given."""
    settings: dict[str, Any] = {"clock": ShiftedClock(origin)}
    if redis_url is not None:
        from limits.storage import RedisStorage

        from ajaxkit.stores.redis import RedisIdempotencyStore

        settings["rate_limit_storage"] = RedisStorage(redis_url, key_prefix=prefix)
        settings["idempotency_store"] = RedisIdempotencyStore.from_url(redis_url, prefix=prefix)
    api = Ajax(**settings)

    @api.endpoint("limited", methods=["GET"], rate="100/minute", rate_key="ip")
    def limited(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    @api.endpoint("orders", methods=["POST"], idempotency="required")
    def order(request: AjaxRequest, item: str) -> tuple[dict[str, Any], int]:
        time.sleep(HANDLER_SECONDS)  # keep the first request in flight a while
        with sqlite3.connect(db, timeout=30) as connection:
            row = connection.execute("INSERT INTO orders (item) VALUES (?)", (item,)).lastrowid
        return {"id": row, "item": item, "pid": os.getpid()}, 201

    return api


def from_env() -> Any:
    """The ASGI app described by the environment (see the module doc)."""
    api = build(
        os.environ["LIMITS_DB"],
        os.environ.get("LIMITS_REDIS_URL"),
        os.environ.get("LIMITS_PREFIX", "ajaxkit-test"),
        float(os.environ["LIMITS_CLOCK_ORIGIN"]),
    )
    return starlette_app(api)
