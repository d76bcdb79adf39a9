"""The parts of the ASGI protocol the core speaks itself (no framework needed).

ASGI is a protocol, not a framework: streamed bodies and WebSocket sessions
are driven here from raw ``scope``/``receive``/``send``, so that Starlette,
FastAPI and Django under ASGI behave the same.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Generator, MutableMapping
from typing import Any

from ajaxkit.core.streams import PushSource, Stream

__all__ = ["Message", "Receive", "Scope", "Send", "send_push", "send_stream", "start_eagerly"]

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def send_stream(stream: Stream, send: Send, receive: Receive) -> None:
    """Send ``stream``'s chunks as ``http.response.body`` messages until done or disconnected.

    A push source goes to :func:`send_push` instead.

    The chunks are pumped in the calling task while one watcher task waits
    on ``receive``: an ``http.disconnect`` cancels the pump, so the
    handler's ``finally`` runs at once, even while it waits for its next
    chunk.  One extra task per streamed response, none per chunk.
    """
    if stream.push is not None:
        await send_push(stream.push, send, receive, failed=stream._failed)
        return
    task = asyncio.current_task()
    assert task is not None
    disconnected = asyncio.Event()
    watcher = asyncio.ensure_future(_cancel_on_disconnect(receive, task, disconnected))
    # Closed here, not left to the collector: cancelled while a chunk is
    # being sent, the body's iterator would close (and the handler's
    # ``finally`` run) only after the answer ended, whenever it was found.
    body = stream.__aiter__()
    try:
        async for chunk in body:
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
        await body.aclose()


async def send_push(
    source: PushSource,
    send: Send,
    receive: Receive,
    *,
    failed: Callable[[Exception], bytes | None] | None = None,
) -> None:
    """Write a push source's chunks as they come, from no task of its own while idle.

    This task waits on ``receive`` for the client to leave; each time the
    source has chunks, a short-lived writer task sends them.  When the
    source finishes (or its time is up) this task is woken by cancellation,
    the writer is let finish, and the body is closed.

    Args:
        failed: logs a source that cannot start (its broker is down, say)
            and gives the last frame to write, as a stream failing on a
            WSGI server does (rule T3); without it the error propagates.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    try:
        await source.start()
    except Exception as exc:
        if failed is None:
            raise
        await _end_body(send, failed(exc))
        return
    state = _PushState()

    async def write() -> None:
        try:
            while data := source.take():
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except Exception:  # the server refused the write: the client is gone
            state.disconnected = True
            stop()
            return
        if source.finished:
            stop()

    def ready() -> None:
        if state.writer is None or state.writer.done():
            state.writer = start_eagerly(write())

    def stop() -> None:
        if not state.ended:
            state.ended = True
            task.cancel()

    limit = source.seconds()
    timer = None if limit is None else loop.call_later(limit, stop)
    source.listen(ready)
    ready()
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
        state.disconnected = True
    except asyncio.CancelledError:
        if not state.ended:  # the server's own cancellation (shutdown)
            state.disconnected = True
            raise
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:
            uncancel()
    finally:
        source.listen(None)
        if timer is not None:
            timer.cancel()
        await _settle(state, source)
    if not state.disconnected:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _end_body(send: Send, last: bytes | None) -> None:
    """End a response body that never started, with ``last`` when there is one."""
    if last:
        await send({"type": "http.response.body", "body": last, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def start_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` now, up to its first real wait; a task only if it has to wait.

    A server's ``send`` seldom waits (only when the socket's buffer is
    full), so most writes finish here without the cost of a task; what does
    wait goes on in one, exactly where it stopped.
    """
    try:
        pending = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_Continue(coro, pending).run())


class _Continue:
    """Drives a coroutine that was started by hand from where it first suspended."""

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self._coro = coro
        self._pending = pending

    async def run(self) -> None:
        await self

    def __await__(self) -> Generator[Any, Any, None]:
        pending = self._pending
        while True:
            try:
                value = yield pending
            except BaseException as exc:  # thrown into us by the task: pass it on
                try:
                    pending = self._coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    pending = self._coro.send(value)
                except StopIteration:
                    return


class _PushState:
    __slots__ = ("disconnected", "ended", "writer")

    def __init__(self) -> None:
        self.writer: asyncio.Task[None] | None = None
        self.ended = False
        self.disconnected = False


async def _settle(state: _PushState, source: PushSource) -> None:
    """Let a writer in flight finish (or cancel it if the client left), then close the source."""
    writer = state.writer
    try:
        if writer is not None and not writer.done():
            if state.disconnected:
                writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
    finally:
        await source.aclose()


async def _cancel_on_disconnect(
    receive: Receive, task: asyncio.Task[Any], disconnected: asyncio.Event
) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected.set()
            task.cancel()
            return
