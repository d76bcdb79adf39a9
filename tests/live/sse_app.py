"""A real server for the multi-process live tests: Starlette + ajaxkit + a Redis broker.

Run by the tests as ``uvicorn tests.live.sse_app:app``; the Redis URL and the
namespace come from ``AJAXKIT_LIVE_REDIS`` and ``AJAXKIT_LIVE_NAMESPACE``.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.routing import Mount

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.live import Live, LiveSettings
from ajaxkit.live.redis import RedisBroker

api = Ajax()
broker = RedisBroker(
    os.environ["AJAXKIT_LIVE_REDIS"],
    namespace=os.environ["AJAXKIT_LIVE_NAMESPACE"],
    window=int(os.environ.get("AJAXKIT_LIVE_WINDOW", "10000")),
)
settings = LiveSettings(
    heartbeat=float(os.environ.get("AJAXKIT_LIVE_HEARTBEAT", "1.0")),
    retry_ms=100,
    buffer_bytes=int(os.environ.get("AJAXKIT_LIVE_BUFFER", str(256 * 1024))),
)
live = Live(api, broker, settings=settings)
live.topic("seq")


@api.endpoint("_stats")
def stats() -> dict[str, int]:
    """How many subscriptions this process holds (tests check they are freed)."""
    return {"subscriptions": len(broker.fanout)}


app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])
