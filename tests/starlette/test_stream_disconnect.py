"""A client leaving mid-stream: the handler's iterator is closed at once, off the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest, AjaxResponse

pytestmark = pytest.mark.starlette


def make_api(closed: list[str], *, slow_chunk: bool) -> Ajax:
    api = Ajax()

    @api.endpoint
    def stream(request: AjaxRequest) -> AjaxResponse:
        def chunks() -> Iterator[bytes]:
            try:
                yield b"a"
                if slow_chunk:
                    time.sleep(0.05)  # the client leaves while this chunk is made
                yield b"b"
                yield b"c"
            finally:
                closed.append(threading.current_thread().name)

        return AjaxResponse(headers={"Content-Type": "text/plain"}, stream=chunks())

    return api


async def leave_after_first_chunk(app: Any, *, slow_send: bool) -> list[Message]:
    """Request ``/stream``; the client goes away once the first chunk is sent."""
    first_chunk = asyncio.Event()
    requested = False
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk.set()
            if slow_send:
                await asyncio.sleep(0.05)  # the client leaves while this is sent

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/stream",
        "raw_path": b"/stream",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"sec-fetch-site", b"same-origin")],
    }
    await app(scope, receive, send)
    return sent


Message = dict[str, Any]


@pytest.mark.parametrize("slow_send", [True, False], ids=["while-sending", "while-making"])
def test_a_client_leaving_closes_the_handlers_iterator_before_the_answer_ends(
    slow_send: bool,
) -> None:
    closed: list[str] = []
    app = ajaxkit.starlette.app(make_api(closed, slow_chunk=not slow_send))

    async def main() -> list[str]:
        await leave_after_first_chunk(app, slow_send=slow_send)
        return list(closed)  # before the loop could collect anything

    assert len(asyncio.run(main())) == 1


@pytest.mark.parametrize("slow_send", [True, False], ids=["while-sending", "while-making"])
def test_a_sync_iterator_left_early_is_closed_off_the_event_loop(slow_send: bool) -> None:
    # Its finally may block (a cursor, a file, a session): not on the loop.
    closed: list[str] = []
    app = ajaxkit.starlette.app(make_api(closed, slow_chunk=not slow_send))

    async def main() -> str:
        await leave_after_first_chunk(app, slow_send=slow_send)
        await asyncio.sleep(0.1)
        return threading.current_thread().name

    loop_thread = asyncio.run(main())
    assert closed
    assert closed != [loop_thread]
