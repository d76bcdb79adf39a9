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
    os.environ["AJAXKIT_LIVE_REDIS"], namespace=os.environ["AJAXKIT_LIVE_NAMESPACE"]
)
live = Live(api, broker, settings=LiveSettings(heartbeat=1.0, retry_ms=100))
live.topic("seq")
app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])
