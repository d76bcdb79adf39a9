"""send_push: how the core writes a PushSource under ASGI (no task while idle)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ajaxkit.core.asgi import Message, send_push


class Source:
    """A push source fed by the test: ``feed(b"...")``, ``finish()``."""

    def __init__(self, seconds: float | None = None) -> None:
        self.queue: list[bytes] = []
        self.done = False
        self.closed = 0
        self.started = False
        self._ready: Callable[[], None] | None = None
        self._seconds = seconds

    async def start(self) -> None:
        self.started = True
        self.queue.append(b"first")

    def take(self) -> bytes:
        data = b"".join(self.queue)
        self.queue.clear()
        return data

    @property
    def finished(self) -> bool:
        return self.done

    def listen(self, ready: Callable[[], None] | None) -> None:
        self._ready = ready

    def seconds(self) -> float | None:
        return self._seconds

    async def aclose(self) -> None:
        self.closed += 1

    def feed(self, data: bytes) -> None:
        self.queue.append(data)
        if self._ready is not None:
            self._ready()

    def finish(self) -> None:
        self.done = True
        if self._ready is not None:
            self._ready()


class Peer:
    """The server side: records what was sent; ``leave()`` disconnects."""

    def __init__(self, slow: bool = False, fail_after: int | None = None) -> None:
        self.sent: list[Message] = []
        self.gone = asyncio.Event()
        self.slow = slow
        self.fail_after = fail_after
        self.busy = False
        self.overlapped = False

    async def send(self, message: Message) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise OSError("connection reset")
        # ASGI servers take one send at a time; overlapping ones reorder bytes.
        self.overlapped |= self.busy
        self.busy = True
        if self.slow:
            await asyncio.sleep(0.005)
        self.sent.append(message)
        self.busy = False

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    def bodies(self) -> bytes:
        return b"".join(m["body"] for m in self.sent)

    def ended(self) -> bool:
        return bool(self.sent) and self.sent[-1]["more_body"] is False


def run(scenario: Callable[[], Any]) -> Any:
    return asyncio.run(scenario())


def test_chunks_are_written_as_they_come_and_the_body_ends_when_the_source_finishes() -> None:
    async def scenario() -> tuple[bytes, bool, int, int]:
        source, peer = Source(), Peer()
        task = asyncio.ensure_future(send_push(source, peer.send, peer.receive))
        await asyncio.sleep(0.01)
        tasks_while_idle = len(asyncio.all_tasks()) - 1  # the scenario's own task
        source.feed(b"a")
        source.feed(b"b")
        source.finish()
        await asyncio.wait_for(task, 2)
        return peer.bodies(), peer.ended(), source.closed, tasks_while_idle

    body, ended, closed, tasks = run(scenario)
    assert body == b"firstab"
    assert ended and closed == 1
    assert tasks == 1  # only the connection's own task: nothing else waits


def test_a_send_that_has_to_wait_keeps_order_and_loses_nothing() -> None:
    async def scenario() -> bytes:
        source, peer = Source(), Peer(slow=True)
        task = asyncio.ensure_future(send_push(source, peer.send, peer.receive))
        await asyncio.sleep(0)  # started: its first write is in flight
        for i in range(20):
            source.feed(b"%d," % i)
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)
        source.finish()
        await asyncio.wait_for(task, 2)
        assert not peer.overlapped
        return peer.bodies()

    assert run(scenario) == b"first" + b"".join(b"%d," % i for i in range(20))


def test_a_client_that_leaves_closes_the_source_and_gets_no_end_of_body() -> None:
    async def scenario() -> tuple[bool, int]:
        source, peer = Source(), Peer()
        task = asyncio.ensure_future(send_push(source, peer.send, peer.receive))
        await asyncio.sleep(0.01)
        peer.gone.set()
        await asyncio.wait_for(task, 2)
        source.feed(b"late")  # nobody listens any more
        return peer.ended(), source.closed

    assert run(scenario) == (False, 1)


def test_a_failing_write_ends_the_stream_quietly() -> None:
    async def scenario() -> tuple[int, int]:
        source, peer = Source(), Peer(fail_after=1)
        task = asyncio.ensure_future(send_push(source, peer.send, peer.receive))
        await asyncio.sleep(0.01)
        source.feed(b"boom")
        await asyncio.wait_for(task, 2)
        return len(peer.sent), source.closed

    assert run(scenario) == (1, 1)


def test_the_source_time_limit_ends_the_stream() -> None:
    async def scenario() -> tuple[bool, int]:
        source, peer = Source(seconds=0.05), Peer()
        await asyncio.wait_for(send_push(source, peer.send, peer.receive), 2)
        return peer.ended(), source.closed

    assert run(scenario) == (True, 1)


def test_pull_writes_everything_queued_before_the_source_finished() -> None:
    """Chunks that arrive while the consumer holds the previous one are not dropped."""
    from ajaxkit.core.streams import pull

    async def scenario() -> list[bytes]:
        source = Source()
        chunks = pull(source)
        got = [await chunks.__anext__()]  # b"first"; the consumer now holds it
        source.feed(b"a")
        source.feed(b"b")
        source.finish()  # finished before the consumer asks again
        got += [chunk async for chunk in chunks]
        return got

    assert b"".join(run(scenario)) == b"firstab"
