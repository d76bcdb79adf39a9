"""An SSE or WebSocket resume reads its backlog a page at a time (rules L2, L3, L4, L9).

A cursor as old as the retained window (10,000 events by default) used to
make each resuming connection read and hold every event after it, in one
list, before sending any: a thousand clients reconnecting after a deploy
held a thousand backlogs.  Now a resume asks the broker for at most
``backlog_page`` events, sends them, and asks again from the last one, until
it has caught up with the log; then live events follow.

Each body runs on ``memory://`` and real Redis, over SSE and WebSocket,
driven as an ASGI server drives them.  The broker's ``since`` is watched:
what a resume asks for (its ``limit``) and what it gets.  Events are also
published from inside ``since`` (before and after the log is read) and from
another thread, so some land in every part of the hand-over from backlog to
live; every one must arrive exactly once, in order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.live import Backlog, Cursor, Live, LiveSettings, Subscription, parse_cursor
from tests.live.conftest import MakeBroker
from tests.waiting import Background, wait_until

PAGE = 16
BACKLOG = 2_000
#: The documented default of ``LiveSettings.backlog_page``.
DEFAULT_PAGE = 200

#: One message a client got: ``(kind, id, data)``; kind is the SSE event
#: name or the WebSocket message type.
Got = tuple[str, str, Any]


@dataclass
class _Watch:
    """Every ``since`` a resume made: the limit asked and the events answered."""

    limits: list[int | None] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    resets: int = 0
    #: Set once a read reached the head of the log (and its hook has run).
    caught_up: threading.Event = field(default_factory=threading.Event)

    def check_bounded(self, page: int) -> None:
        assert self.limits, "the resume never read the log"
        assert all(limit is not None and limit <= page for limit in self.limits), self.limits
        assert max(self.sizes) <= page, max(self.sizes)


Hook = Callable[[int, str], None]


def _watch(live: Live, hook: Hook | None = None, pause: float = 0.0) -> _Watch:
    """Record the broker's reads for resumes; ``hook(call, "before"|"after")`` around each.

    ``pause``: seconds each read takes at least (as a remote log's would).
    """
    broker = live.broker
    watch = _Watch()
    since = broker.since

    async def watched(
        cursor: Cursor | None, topics: Collection[str], limit: int | None = None
    ) -> Backlog:
        if not topics or cursor is None:  # Redis's reader start, or a fresh stream
            return await since(cursor, topics, limit)
        call = len(watch.limits)
        watch.limits.append(limit)
        if hook is not None:
            hook(call, "before")
        await asyncio.sleep(pause)
        backlog = await since(cursor, topics, limit)
        watch.sizes.append(len(backlog.events))
        watch.resets += backlog.reset
        if hook is not None:
            hook(call, "after")
        if not backlog.more:
            watch.caught_up.set()
        return backlog

    broker.since = watched  # type: ignore[method-assign]
    return watch


class _Numbered:
    """Publishes ``{"n": 1}``, ``{"n": 2}``, ... on ``seq`` from any thread, in log order."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.last = 0
        self._lock = threading.Lock()

    def next(self, count: int = 1) -> str:
        cursor = ""
        with self._lock:  # the number and the log position move together
            for _ in range(count):
                self.last += 1
                cursor = self.live.publish("seq", {"n": self.last})
                self.live.publish("other", {"noise": self.last})
        return cursor


def _hub(make_broker: MakeBroker, window: int = 10_000, **settings: Any) -> tuple[Ajax, Live]:
    api = Ajax()
    live = Live(api, make_broker(window=window), settings=LiveSettings(heartbeat=0, **settings))
    live.topic("seq")
    live.topic("other")
    return api, live


def _scope(kind: str, path: str, query: bytes = b"") -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "subprotocols": [],
    }


def _sse_messages(body: bytes) -> list[Got]:
    got: list[Got] = []
    for block in body.split(b"\n\n")[:-1]:  # the last piece is not a whole frame yet
        fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
        if b"data" in fields:
            kind = fields.get(b"event", b"message").decode()
            got.append((kind, fields[b"id"].decode(), orjson.loads(fields[b"data"])))
    return got


async def _sse(api: Ajax, cursor: str, until: Callable[[list[Got]], bool]) -> list[Got]:
    """Resume ``seq`` over SSE from ``cursor`` until ``until(messages)``; the messages."""
    body = bytearray()
    done = asyncio.Event()
    started = False

    async def receive() -> dict[str, Any]:
        nonlocal started
        if not started:
            started = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if until(_sse_messages(bytes(body))):
                done.set()

    query = b"topic=seq&cursor=" + cursor.encode()
    app = ajaxkit.starlette.app(api)
    await asyncio.wait_for(app(_scope("http", "/_live/sse", query), receive, send), 60)
    return _sse_messages(bytes(body))


async def _ws(
    api: Ajax,
    cursor: str,
    until: Callable[[list[Got]], bool],
    later: tuple[Callable[[list[Got]], bool], dict[str, Any]] | None = None,
) -> list[Got]:
    """Resume ``seq`` over a WebSocket from ``cursor`` until ``until(messages)``.

    ``later``: ``(when, message)`` sends ``message`` once ``when(messages)``.
    """
    got: list[Got] = []
    done = asyncio.Event()
    subscribe = {"type": "subscribe", "topics": ["seq"], "cursor": cursor}
    steps = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": orjson.dumps(subscribe).decode()},
    ]
    due = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if steps:
            return steps.pop(0)
        if later is not None and not due.is_set():
            await due.wait()
            return {"type": "websocket.receive", "text": orjson.dumps(later[1]).decode()}
        await done.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "websocket.send":
            sent = orjson.loads(message["text"])
            got.append((sent["type"], sent.get("id", sent.get("cursor", "")), sent.get("data")))
            if later is not None and later[0](got):
                due.set()
            if until(got):
                done.set()
        elif message["type"] == "websocket.close":
            got.append(("close", "", message.get("code")))
            done.set()

    app = ajaxkit.starlette.app(api)
    await asyncio.wait_for(app(_scope("websocket", "/_live/ws"), receive, send), 60)
    return got


Resume = Callable[[Ajax, str, Callable[[list[Got]], bool]], Awaitable[list[Got]]]
TRANSPORTS = [pytest.param(_sse, id="sse"), pytest.param(_ws, id="ws")]


def _numbers(got: list[Got]) -> list[int]:
    return [data["n"] for kind, _, data in got if kind in ("seq", "event") and "n" in data]


def _run(
    live: Live,
    scenario: Awaitable[list[Got]],
    *,
    before_closing: Callable[[], None] | None = None,
) -> list[Got]:
    """``scenario``'s events, the broker closed after it (and after
    ``before_closing``: a publisher still reading its last answer from Redis
    must not have its connection closed under it)."""

    async def main() -> list[Got]:
        try:
            return await scenario
        finally:
            try:
                if before_closing is not None:
                    await asyncio.to_thread(before_closing)
            finally:
                await live.broker.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("resume", TRANSPORTS)
def test_a_resume_asks_for_and_holds_at_most_a_page_of_events(
    make_broker: MakeBroker, resume: Resume
) -> None:
    api, live = _hub(make_broker)
    numbered = _Numbered(live)
    start = live.publish("seq", {"n": 0})
    numbered.next(BACKLOG)
    watch = _watch(live)
    got = _run(live, resume(api, start, lambda got: BACKLOG in _numbers(got)))
    assert _numbers(got) == list(range(1, BACKLOG + 1))
    # Every read of the log was bounded, and it took many of them.
    watch.check_bounded(DEFAULT_PAGE)
    assert len(watch.limits) >= BACKLOG // DEFAULT_PAGE


@pytest.mark.parametrize("resume", TRANSPORTS)
def test_a_paged_resume_hands_over_to_live_events_losing_and_repeating_none(
    make_broker: MakeBroker, resume: Resume
) -> None:
    api, live = _hub(make_broker, backlog_page=PAGE)
    numbered = _Numbered(live)
    start = live.publish("seq", {"n": 0})
    numbered.next(BACKLOG // 4)

    def publish_around_reads(call: int, when: str) -> None:
        # Before a read: that page (or a later one) must carry them.  After
        # it, before the hand-over: held, then sent after the last page.
        numbered.next(2)

    watch = _watch(live, publish_around_reads)
    end: list[str] = []

    def publisher() -> None:
        for _ in range(300):
            numbered.next()
            time.sleep(0.0005)
        # Published once the resume is past its last page: it arrives live.
        wait_until(watch.caught_up.is_set, "the resume to reach the head of the log", timeout=30)
        end.append(live.publish("seq", {"end": True}))

    def until(got: list[Got]) -> bool:
        return any(isinstance(data, dict) and "end" in data for _, _, data in got)

    publishing = Background(publisher, "the publisher")
    try:
        # The resume can see the last event before the publisher has read
        # Redis's answer to publishing it: the broker closes after it has.
        got = _run(live, resume(api, start, until), before_closing=publishing.join)
    finally:
        publishing.join()
    assert _numbers(got) == list(range(1, numbered.last + 1))
    assert got[-1][1] == end[0]
    assert watch.resets == 0
    watch.check_bounded(PAGE)


@pytest.mark.parametrize("resume", TRANSPORTS)
def test_a_log_trimmed_while_paging_resets_and_never_skips(
    make_broker: MakeBroker, resume: Resume
) -> None:
    page = 8
    api, live = _hub(make_broker, window=64, backlog_page=page)
    numbered = _Numbered(live)
    start = live.publish("seq", {"n": 0})
    numbered.next(20)  # 40 entries: all within the window
    head: list[str] = []

    def trim_before_the_second_page(call: int, when: str) -> None:
        if (call, when) == (1, "before"):
            for n in range(1_000):  # far past the window: the next page is gone
                head.append(live.publish("other", {"flood": n}))

    watch = _watch(live, trim_before_the_second_page)
    resets = ("ajaxkit-reset", "reset")

    def until(got: list[Got]) -> bool:
        if any(kind in resets for kind, _, _ in got) and numbered.last == 20:
            numbered.next()  # after the reset: arrives live
        return 21 in _numbers(got)

    got = _run(live, resume(api, start, until))
    kinds = [kind for kind, _, _ in got]
    assert kinds.count(resets[0]) + kinds.count(resets[1]) == 1
    where = next(i for i, kind in enumerate(kinds) if kind in resets)
    # What came before the reset is the first page exactly; nothing of the
    # trimmed events after it; then live events from the head on.
    assert _numbers(got[:where]) == list(range(1, page + 1))
    assert got[where][1] == head[-1]
    assert _numbers(got[where + 1 :]) == [21]
    assert watch.resets == 1


@pytest.mark.parametrize("resume", TRANSPORTS)
def test_a_page_that_cannot_be_read_ends_the_connection_and_is_logged(
    make_broker: MakeBroker, resume: Resume, caplog: pytest.LogCaptureFixture
) -> None:
    api, live = _hub(make_broker, backlog_page=PAGE)
    numbered = _Numbered(live)
    start = live.publish("seq", {"n": 0})
    numbered.next(3 * PAGE)

    def fail_the_second_page(call: int, when: str) -> None:
        if (call, when) == (1, "before"):
            raise ConnectionError("the log went away")

    _watch(live, fail_the_second_page)
    with caplog.at_level(logging.ERROR, logger="ajaxkit.live"):
        got = _run(live, resume(api, start, lambda got: False))
    # What was read went out; then the connection ended (the client
    # reconnects from its last event), never a silent hang.
    assert _numbers(got) == list(range(1, PAGE + 1))
    assert got[-1][0] in ("seq", "close")
    logged = [r for r in caplog.records if "next page" in r.getMessage()]
    assert len(logged) == 1 and getattr(logged[0], "error_id", None)


def test_what_a_subscription_holds_before_release_is_bounded(make_broker: MakeBroker) -> None:
    # Held events used to be kept without limit until the backlog was read.
    broker = make_broker()

    async def scenario() -> tuple[bool, bool]:
        await broker.start()
        subscription = broker.subscribe(frozenset({"a"}), buffer_bytes=2_000)
        for n in range(200):
            await broker.apublish("a", orjson.dumps({"n": n}))
        for _ in range(300):  # Redis delivers from its reader thread
            if subscription.closed:
                break
            await asyncio.sleep(0.01)
        result = subscription.overflowed, subscription.closed
        await broker.aclose()
        return result

    assert asyncio.run(scenario()) == (True, True)


async def _held(subscription: Subscription, count: int) -> None:
    """Until ``count`` events are held (Redis delivers from its reader thread)."""
    for _ in range(300):
        if len(subscription._held or ()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} events never arrived")


def test_forget_held_drops_what_was_held_before(make_broker: MakeBroker) -> None:
    """Called before each read (the log has those events): only what comes after is held."""
    broker = make_broker()

    async def scenario() -> list[int]:
        await broker.start()
        start = await broker.apublish("a", orjson.dumps({"n": 0}))
        # Redis delivers from a reader thread: once it has delivered a later
        # event, n=0 cannot reach a subscription made now (and be held as n=1).
        probe = broker.subscribe(frozenset({"probe"}))
        await broker.apublish("probe", b"{}")
        await _held(probe, 1)
        subscription = broker.subscribe(frozenset({"a"}))
        await broker.apublish("a", orjson.dumps({"n": 1}))
        await _held(subscription, 1)
        subscription.forget_held()
        await broker.apublish("a", orjson.dumps({"n": 2}))
        await _held(subscription, 1)
        cursor = parse_cursor(start)
        assert cursor is not None
        # Released as if a read had ended at n=0: n=1 was forgotten (a
        # read from before it covers it), n=2 is handed over.
        subscription.release(cursor.position, start)
        got = [orjson.loads(frame.split(b"data: ")[1])["n"] for frame in subscription.take_each()]
        await broker.aclose()
        return got

    assert asyncio.run(scenario()) == [2]


def test_adding_a_topic_while_paging_repeats_and_skips_nothing(make_broker: MakeBroker) -> None:
    """Rule L11 in the middle of a paged backlog: the kept topic goes on where the client is."""
    api, live = _hub(make_broker, backlog_page=PAGE)
    numbered = _Numbered(live)
    start = live.publish("seq", {"n": 0})
    numbered.next(10 * PAGE)
    watch = _watch(live, pause=0.01)  # so the client asks while pages are read
    add = {"type": "subscribe", "topics": ["other"]}
    # Mid-page: some of the second page is sent, the rest queued.
    mid_page = (lambda got: len(_numbers(got)) == PAGE + 3, add)
    got = _run(live, _ws(api, start, lambda got: 10 * PAGE in _numbers(got), mid_page))
    assert _numbers(got) == list(range(1, 10 * PAGE + 1))
    assert [kind for kind, _, _ in got].count("subscribed") == 2
    noise = [data["noise"] for kind, _, data in got if kind == "event" and "noise" in data]
    # The added topic starts from the head when it is added: every event of
    # it was published before, none is replayed.
    assert noise == [], "the added topic replayed its history"
    watch.check_bounded(PAGE)


def test_a_stream_without_cursor_gets_what_is_published_before_it_subscribes(
    make_broker: MakeBroker,
) -> None:
    """Rule L3: the stream starts at the head read before its 200, on either broker.

    It subscribes only once the response has begun; an event published
    in between (here: as it subscribes) was lost, on Redis as on memory.
    """
    api, live = _hub(make_broker)
    live.publish("seq", {"n": 0})
    subscribe = live.broker.subscribe

    def late(topics: frozenset[str], **options: Any) -> Subscription:
        live.broker.subscribe = subscribe  # type: ignore[method-assign]
        live.publish("seq", {"n": 1})
        return subscribe(topics, **options)

    live.broker.subscribe = late  # type: ignore[method-assign]
    got = _run(live, _sse(api, "", lambda got: 1 in _numbers(got)))
    assert _numbers(got) == [1]
