"""The two SSE stacks compared: ajaxkit's Live vs sse-starlette + broadcaster.

Both are plain Starlette apps with one SSE route on topic/channel ``bench``,
so the harness drives them the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.live import Live, LiveSettings

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass
class Stack:
    """One SSE stack: its app, its SSE path, and how to publish into it."""

    name: str
    app: ASGIApp
    path: str
    query: bytes
    publish: Callable[[bytes], Awaitable[None]]
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    live: Live | None = None


def ajaxkit_stack(broker: str = "memory://", heartbeat: float = 15.0) -> Stack:
    api = Ajax()
    live = Live(api, broker, settings=LiveSettings(heartbeat=heartbeat))
    live.topic("bench")
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])

    async def publish(data: bytes) -> None:
        await live.broker.apublish("bench", data)

    async def nothing() -> None:
        return None

    return Stack(
        "ajaxkit",
        app,
        "/ajax/_live/sse",
        b"topic=bench",
        publish,
        nothing,
        live.broker.aclose,
        live,
    )


def peer_stack(url: str = "memory://", ping: int = 15) -> Stack:
    from broadcaster import Broadcast
    from sse_starlette import EventSourceResponse

    broadcast = Broadcast(url)

    async def sse(request: Request) -> EventSourceResponse:
        async def events() -> Any:
            async with broadcast.subscribe("bench") as subscriber:
                feed: Any = subscriber  # typed as optional by the library
                async for event in feed:
                    yield {"event": "bench", "data": event.message}

        return EventSourceResponse(events(), ping=ping)

    app = Starlette(routes=[Route("/sse", sse)])

    async def publish(data: bytes) -> None:
        await broadcast.publish("bench", data.decode())

    return Stack(
        "sse-starlette+broadcaster",
        app,
        "/sse",
        b"",
        publish,
        broadcast.connect,
        broadcast.disconnect,
    )


def bare_stack() -> Stack:
    """The cheapest possible open stream: what any server + harness costs per connection."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b":\n\n", "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass

    async def nothing(data: bytes = b"") -> None:
        return None

    return Stack("bare", app, "/", b"", nothing, nothing, nothing)
