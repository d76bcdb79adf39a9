"""An SSE resume is written in bounded writes, whole and in order (rule L2).

A cursor as old as the retained window asks for up to ``window`` events at
once.  Written as one body chunk, each such connection would make the
server hold the whole backlog again as one buffer; in writes of at most
``buffer_bytes`` the server's flow control paces it like live delivery.
Each test reads the body chunk by chunk as the server hands it over: under
ASGI the messages given to ``send``, under WSGI the iterable's items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import flask
import orjson

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.flask import blueprint
from ajaxkit.live import Live, LiveSettings
from tests.live.conftest import MakeBroker

BACKLOG = 10_000
BUFFER = 16 * 1024
#: Enough to make each event's frame about 150 bytes: the backlog is ~1.5 MB.
PAD = "x" * 100


def _hub(make_broker: MakeBroker) -> tuple[Ajax, Live, str]:
    api = Ajax()
    live = Live(api, make_broker(), settings=LiveSettings(heartbeat=0, buffer_bytes=BUFFER))
    live.topic("seq")
    start = live.publish("seq", {"n": 0, "pad": PAD})
    for n in range(1, BACKLOG + 1):
        live.publish("seq", {"n": n, "pad": PAD})
    return api, live, start


def _numbers(body: bytes) -> list[int]:
    """The ``n`` of every event frame in ``body``, in order (not the stream's own open frame)."""
    numbers = []
    for block in body.split(b"\n\n"):
        if b"\nevent: ajaxkit-open\n" in block:
            continue
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                numbers.append(orjson.loads(line[6:])["n"])
    return numbers


def _check(chunks: list[bytes]) -> None:
    assert _numbers(b"".join(chunks)) == list(range(1, BACKLOG + 1))
    largest = max(len(chunk) for chunk in chunks)
    assert largest <= BUFFER, f"one write of {largest} bytes (buffer_bytes is {BUFFER})"


async def _asgi_body(app: Any, query: bytes) -> list[bytes]:
    """Drive ``app`` as an ASGI server would until the backlog is in; the body chunks."""
    chunks: list[bytes] = []
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not chunks:
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if b'"n":%d,' % BACKLOG in message["body"]:
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/_live/sse",
        "raw_path": b"/_live/sse",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 60)
    return chunks


def test_an_asgi_resume_writes_the_backlog_in_bounded_chunks(make_broker: MakeBroker) -> None:
    api, live, start = _hub(make_broker)
    try:
        query = b"topic=seq&cursor=" + start.encode()
        chunks = asyncio.run(_asgi_body(ajaxkit.starlette.app(api), query))
    finally:
        asyncio.run(live.broker.aclose())
    _check(chunks)


def _wsgi_body(body: Iterable[str] | Iterable[bytes]) -> list[bytes]:
    chunks: list[bytes] = []
    try:
        for chunk in body:
            assert isinstance(chunk, bytes)
            chunks.append(chunk)
            if b'"n":%d,' % BACKLOG in chunk:
                break
    finally:
        getattr(body, "close", lambda: None)()
    return chunks


def test_a_wsgi_resume_writes_the_backlog_in_bounded_chunks(make_broker: MakeBroker) -> None:
    api, live, start = _hub(make_broker)
    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(api), url_prefix="/ajax")
    try:
        with app.test_client() as client:
            response = client.get(
                "/ajax/_live/sse", query_string={"topic": "seq", "cursor": start}, buffered=False
            )
            assert response.status_code == 200
            chunks = _wsgi_body(response.response)
    finally:
        asyncio.run(live.broker.aclose())
    _check(chunks)
