"""The parts of the ASGI protocol the core speaks itself (no framework needed).

ASGI is a protocol, not a framework: streamed bodies and WebSocket sessions
are driven here from raw ``scope``/``receive``/``send``, so that Starlette,
FastAPI and Django under ASGI behave the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ajaxkit.core.streams import Stream

__all__ = ["Message", "Receive", "Scope", "Send", "send_stream"]

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def send_stream(stream: Stream, send: Send, receive: Receive) -> None:
    """Send ``stream``'s chunks as ``http.response.body`` messages until done or disconnected.

    The chunks are pumped in the calling task while one watcher task waits
    on ``receive``: an ``http.disconnect`` cancels the pump, so the
    handler's ``finally`` runs at once, even while it waits for its next
    chunk.  One extra task per streamed response, none per chunk.
    """
    task = asyncio.current_task()
    assert task is not None
    disconnected = asyncio.Event()
    watcher = asyncio.ensure_future(_cancel_on_disconnect(receive, task, disconnected))
    try:
        async for chunk in stream:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if not disconnected.is_set():
            raise
        # Our own cancellation, not the server's: the client went away.
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:
            uncancel()
    finally:
        watcher.cancel()


async def _cancel_on_disconnect(
    receive: Receive, task: asyncio.Task[Any], disconnected: asyncio.Event
) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected.set()
            task.cancel()
            return
