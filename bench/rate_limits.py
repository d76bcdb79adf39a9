"""What a rate limit costs: a ``100/second``-limited GET against the same GET unlimited.

Run from the repository root::

    .venv/bin/python bench/rate_limits.py                 # memory storage; Redis too when reachable
    .venv/bin/python bench/rate_limits.py -n 20000 --no-redis

In-process, no sockets: requests go straight into ``Ajax.dispatch`` (the core
path every integration shares; a framework's own cost only dilutes the
ratio) and into the Starlette ASGI app.  A :class:`ManualClock` advances
10 ms per request, so exactly 100 requests fall in each one-second window and
every request is admitted: the limited and unlimited sides do the same work
apart from the limit itself.  Times are CPU time of this process (the
machine may be shared), sides alternate (ABBA) over many short rounds and the
best round of each counts, so that a busy neighbour does not decide the ratio.

With Redis it also reports round trips per request, counted twice: by the
client (packed commands sent) and by the server (``INFO commandstats``
delta; commands a Lua script runs are listed apart, they are no round trip).
Target (issue 10): memory at least 0.9 of unlimited; Redis reported, one round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from ajaxkit import Ajax, AjaxRequest  # noqa: E402
from ajaxkit.core.clock import ManualClock  # noqa: E402
from ajaxkit.starlette import app as starlette_app  # noqa: E402
from ajaxkit.types import EMPTY_QUERY, Headers  # noqa: E402
from bench.harness.options import redis_reachable  # noqa: E402
from bench.harness.servers import REDIS  # noqa: E402


def build(storage: Any = None) -> tuple[Ajax, ManualClock]:
    clock = ManualClock()
    api = Ajax(clock=clock) if storage is None else Ajax(clock=clock, rate_limit_storage=storage)

    @api.endpoint("open", methods=["GET"])
    def open_(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("limited", methods=["GET"], rate="100/second", rate_key="ip")
    def limited(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    return api, clock


def core_loop(api: Ajax, clock: ManualClock, route: str, n: int) -> float:
    """Seconds for ``n`` dispatches of ``GET route`` through the core."""
    headers = Headers([("accept", "application/json")])
    start = time.process_time()
    for _ in range(n):
        clock.advance(0.01)
        request = AjaxRequest(
            method="GET",
            path=f"/ajax/{route}",
            route=route,
            headers=headers,
            query=EMPTY_QUERY,
            client="127.0.0.1",
        )
        response = api.dispatch(request)
    elapsed = time.process_time() - start
    assert response.status == 200, response.body
    return elapsed


def asgi_loop(api: Ajax, clock: ManualClock, route: str, n: int) -> float:
    """Seconds for ``n`` requests of ``GET /route`` through the Starlette ASGI app."""
    app = starlette_app(api)
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": f"/{route}",
        "raw_path": f"/{route}".encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> float:
        start = time.process_time()
        for _ in range(n):
            clock.advance(0.01)
            await app(dict(scope), receive, send)
        return time.process_time() - start

    elapsed = asyncio.run(run())
    assert set(statuses) == {200}, set(statuses)
    return elapsed


def compare(
    loop: Callable[..., float], api: Ajax, clock: ManualClock, n: int, rounds: int
) -> tuple[float, float]:
    """Best µs per request of the unlimited and the limited endpoint."""
    loop(api, clock, "open", n // 10)  # warm up both
    loop(api, clock, "limited", n // 10)
    best = {"open": float("inf"), "limited": float("inf")}
    routes = ("open", "limited")
    for round_ in range(rounds):
        # ABBA order: whichever runs first in a round is not favoured.
        for route in routes if round_ % 2 == 0 else routes[::-1]:
            best[route] = min(best[route], loop(api, clock, route, n) / n * 1e6)
    return best["open"], best["limited"]


def report(label: str, open_us: float, limited_us: float) -> float:
    ratio = open_us / limited_us
    times = f"unlimited {open_us:7.1f} µs  limited {limited_us:7.1f} µs"
    print(f"{label:<28} {times}  ratio {ratio:.3f}")
    return ratio


def redis_round_trips(n: int) -> None:
    import redis
    from limits.storage import RedisStorage
    from redis.connection import Connection

    prefix = f"bench:{uuid.uuid4()}"
    storage = RedisStorage(f"redis://{REDIS[0]}:{REDIS[1]}/0", key_prefix=prefix)
    api, clock = build(storage)
    open_us, limited_us = compare(core_loop, api, clock, n, 3)
    report("core dispatch, Redis", open_us, limited_us)

    sent = 0
    original: Any = Connection.send_packed_command

    def counting(self: Any, command: Any, check_health: bool = True) -> None:
        nonlocal sent
        sent += 1
        original(self, command, check_health)

    admin = redis.Redis(host=REDIS[0], port=REDIS[1])
    before = admin.info("commandstats")
    Connection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        core_loop(api, clock, "limited", 1000)
    finally:
        Connection.send_packed_command = original  # type: ignore[method-assign]
    after = admin.info("commandstats")
    delta = {
        name.removeprefix("cmdstat_"): stats["calls"] - before.get(name, {"calls": 0})["calls"]
        for name, stats in after.items()
    }
    delta = {name: calls for name, calls in delta.items() if calls and name != "info"}
    print(f"Redis round trips per request (client side): {sent / 1000:.2f}")
    print(f"Redis commands per 1000 requests (server side, incl. inside Lua): {delta}")
    keys = list(admin.scan_iter(match=f"{prefix}*"))
    if keys:
        admin.delete(*keys)
    admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per side per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    api, clock = build()
    core = report("core dispatch, memory", *compare(core_loop, api, clock, args.n, args.rounds))
    api, clock = build()
    asgi = report("starlette ASGI, memory", *compare(asgi_loop, api, clock, args.n, args.rounds))
    if not args.no_redis and redis_reachable():
        redis_round_trips(max(1000, args.n // 10))
    met = min(core, asgi) >= 0.9
    print(f"target memory >= 0.9 of unlimited: {'met' if met else 'MISSED'}")
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())
