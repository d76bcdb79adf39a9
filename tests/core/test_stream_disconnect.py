"""A client leaving mid-stream, driven with raw ASGI messages (no framework, no server).

A sync generator is pulled in a thread; the client may leave while that
thread is inside the generator, and the generator still has to be closed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import pytest

from ajaxkit import Ajax
from ajaxkit.core.asgi import Message, send_stream
from ajaxkit.core.platform import REFERENCE
from ajaxkit.core.streams import Stream


def test_a_client_leaving_while_a_sync_generator_runs_in_its_thread_closes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The generator blocks between chunks (a poll, a slow query): the client
    # leaves while the thread is inside it.  Closing it then raised
    # "generator already executing" out of the response, and its finally
    # never ran.
    inside, leave = threading.Event(), threading.Event()
    ended: list[str] = []

    def chunks() -> Iterator[bytes]:
        try:
            yield b"first"
            inside.set()
            leave.wait(5)
            yield b"second"
        finally:
            ended.append(threading.current_thread().name)

    stream = Stream(chunks(), media_type="text/plain")
    stream.bind(Ajax().settings, None, REFERENCE, "slow")
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        await asyncio.get_running_loop().run_in_executor(None, inside.wait, 5)
        # The thread is still inside when the client's leaving is noticed.
        threading.Timer(0.2, leave.set).start()
        return {"type": "http.disconnect"}

    async def main() -> None:
        with caplog.at_level(logging.ERROR):
            await asyncio.wait_for(send_stream(stream, send, receive), 5)

    asyncio.run(main())
    assert [m["body"] for m in sent] == [b"first"]
    assert len(ended) == 1
    assert ended[0] != threading.main_thread().name  # the generator's thread, not the loop's
    assert not caplog.records
