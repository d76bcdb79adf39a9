"""The broker contract: the same bodies against ``memory://`` and real Redis."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
import pytest

from ajaxkit.live import Backlog, Broker, Event, MemoryBroker, parse_cursor
from ajaxkit.live.broker import REVOKE_TOPIC
from ajaxkit.live.subscription import Subscription
from tests.live.conftest import MakeBroker

T = TypeVar("T")


def run(coro: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro()

    return asyncio.run(main())


def _data(n: int) -> bytes:
    return orjson.dumps({"n": n})


def _numbers(events: list[Event]) -> list[int]:
    return [orjson.loads(e.data)["n"] for e in events]


def _frame_numbers(raw: bytes) -> list[int]:
    """The ``n`` of every event frame in a chunk of SSE bytes, in order."""
    found = []
    for frame in raw.split(b"\n\n"):
        for line in frame.split(b"\n"):
            if line.startswith(b"data: "):
                found.append(orjson.loads(line[6:])["n"])
    return found


async def _drain(subscription: Subscription, want: int, timeout: float = 5.0) -> list[int]:
    got: list[int] = []

    async def drain() -> None:
        while len(got) < want:
            await subscription.wait()
            got.extend(_frame_numbers(subscription.take()))
            if subscription.closed:
                break

    await asyncio.wait_for(drain(), timeout)
    return got


def test_publish_returns_cursors_in_order_in_one_epoch(make_broker: MakeBroker) -> None:
    broker = make_broker()
    cursors = [parse_cursor(broker.publish("a", _data(i))) for i in range(3)]
    assert all(c is not None for c in cursors)
    assert len({c.epoch for c in cursors if c}) == 1
    positions = [c.position for c in cursors if c]
    assert positions == sorted(positions) and len(set(positions)) == 3


def test_since_without_cursor_starts_at_the_head(make_broker: MakeBroker) -> None:
    broker = make_broker()
    last = broker.publish("a", _data(1))
    backlog = run(lambda: broker.since(None, ["a"]))
    assert backlog.events == [] and not backlog.reset
    assert backlog.cursor == last


def test_since_returns_the_topics_events_after_the_cursor(make_broker: MakeBroker) -> None:
    broker = make_broker()
    first = broker.publish("a", _data(0))
    for i in range(1, 7):
        broker.publish("a" if i % 2 else "b", _data(i))
    head = broker.publish("c", _data(99))
    backlog = run(lambda: broker.since(parse_cursor(first), ["a"]))
    assert _numbers(backlog.events) == [1, 3, 5]
    assert not backlog.reset and backlog.cursor == head
    both = run(lambda: broker.since(parse_cursor(first), ["a", "b"]))
    assert _numbers(both.events) == [1, 2, 3, 4, 5, 6]


def test_since_with_a_limit_continues_where_it_stopped(make_broker: MakeBroker) -> None:
    broker = make_broker()
    start = broker.publish("a", _data(0))
    for i in range(1, 6):
        broker.publish("a", _data(i))
    part = run(lambda: broker.since(parse_cursor(start), ["a"], 2))
    assert _numbers(part.events) == [1, 2]
    rest = run(lambda: broker.since(parse_cursor(part.cursor), ["a"], 10))
    assert _numbers(rest.events) == [3, 4, 5]


def test_resuming_in_limited_steps_loses_and_repeats_nothing(make_broker: MakeBroker) -> None:
    """Across the Redis broker's resume pages, with other topics between: as one read."""
    broker = make_broker()
    start = broker.publish("c", _data(-1))
    for n in range(200):
        broker.publish("abc"[n % 3] if n % 7 else "c", _data(n))
    wanted = [n for n in range(200) if n % 7 and n % 3 != 2]
    whole = run(lambda: broker.since(parse_cursor(start), ["a", "b"]))
    assert _numbers(whole.events) == wanted
    for limit in (1, 5, 17, 40):
        got: list[int] = []
        cursor = start
        while True:
            step = run(lambda c=cursor, n=limit: broker.since(parse_cursor(c), ["a", "b"], n))  # type: ignore[misc]
            assert not step.reset and len(step.events) <= limit
            got += _numbers(step.events)
            if step.cursor == cursor:
                break
            cursor = step.cursor
        assert got == wanted, limit
        assert cursor == whole.cursor, "the last step answers the head"


def test_a_cursor_from_another_epoch_or_malformed_resets(make_broker: MakeBroker) -> None:
    broker = make_broker()
    other = make_broker()
    foreign = other.publish("a", _data(0))
    head = broker.publish("a", _data(1))
    for text in (foreign, "garbage", "x:1-2-3"):
        opened = run(lambda text=text: _open_and_close(broker, text))  # type: ignore[misc]
        assert opened.reset, text
        assert opened.events == [] and opened.cursor == head


async def _open_and_close(broker: Broker, cursor: str) -> Backlog:
    opened = await broker.open(frozenset({"a"}), cursor)
    broker.close(opened.subscription)
    return opened.backlog


def test_a_cursor_older_than_the_window_resets(make_broker: MakeBroker) -> None:
    broker = make_broker(window=10)
    old = broker.publish("a", _data(0))
    for i in range(1, 350):
        broker.publish("a", _data(i))
    backlog = run(lambda: broker.since(parse_cursor(old), ["a"]))
    assert backlog.reset and backlog.events == []
    recent = run(lambda: broker.since(None, ["a"]))
    assert backlog.cursor == recent.cursor


def test_open_delivers_backlog_then_live_with_no_gap_or_duplicate(make_broker: MakeBroker) -> None:
    """Events published from another thread while the subscription opens are all seen once."""
    broker = make_broker()
    start = broker.publish("a", _data(0))
    for i in range(1, 50):
        broker.publish("a", _data(i))

    async def scenario() -> list[int]:
        go = threading.Event()

        def publisher() -> None:
            go.wait()
            for i in range(50, 400):
                broker.publish("a", _data(i))

        await broker.start()  # this process's reader runs, as in a live server
        thread = threading.Thread(target=publisher)
        thread.start()
        go.set()
        await asyncio.sleep(0.01)  # let publishing get going
        opened = await broker.open(frozenset({"a"}), start, buffer_bytes=10_000_000)
        got = _numbers(opened.backlog.events)
        got += await _drain(opened.subscription, 399 - len(got))
        thread.join()
        broker.close(opened.subscription)
        await broker.aclose()
        return got

    assert run(scenario) == list(range(1, 400))


def test_a_subscription_has_a_cursor_once_it_listens(make_broker: MakeBroker) -> None:
    """Registered is not yet listening: an event published before the first read is not its own.

    A subscription without a cursor starts at the head its first read finds.
    What tells that it listens (every later event reaches it) is its cursor,
    which it has from then on: the conformance app counts listeners by it.
    """
    broker = make_broker()

    async def scenario() -> list[int]:
        await broker.start()
        subscription = broker.subscribe(frozenset({"a"}))
        assert subscription.cursor == ""
        await broker.apublish("a", _data(0))  # before its start
        backlog = await broker.read(subscription, None, None)
        subscription.release(backlog.position, backlog.cursor)
        assert subscription.cursor == backlog.cursor != ""
        await broker.apublish("a", _data(1))
        got = await _drain(subscription, 1)
        await broker.aclose()
        return got

    assert run(scenario) == [1]


def test_aclose_does_not_wait_out_a_blocked_read(make_broker: MakeBroker) -> None:
    """A server stopping while its reader waits for events stops at once."""
    broker = make_broker()

    async def scenario() -> float:
        await broker.start()
        opened = await broker.open(frozenset({"a"}), None)
        await broker.apublish("a", _data(1))
        # Delivered: the process's reader (if any) is back to waiting for more.
        assert await _drain(opened.subscription, 1) == [1]
        started = time.monotonic()
        await broker.aclose()
        return time.monotonic() - started

    # Redis's reader blocks for a second at a time (XREAD BLOCK).
    assert run(scenario) < 0.5


def test_a_subscription_only_gets_its_topics(make_broker: MakeBroker) -> None:
    broker = make_broker()

    async def scenario() -> list[int]:
        opened = await broker.open(frozenset({"b"}), None)
        for i in range(6):
            await broker.apublish("a" if i % 2 else "b", _data(i))
        got = await _drain(opened.subscription, 3)
        await broker.aclose()
        return got

    assert run(scenario) == [0, 2, 4]


def test_two_subscribers_on_two_loops_see_the_same_order(make_broker: MakeBroker) -> None:
    broker = make_broker()
    results: list[list[int]] = []
    ready = threading.Barrier(3)

    def subscriber() -> None:
        async def main() -> list[int]:
            opened = await broker.open(frozenset({"a", "b"}), None)
            ready.wait()
            return await _drain(opened.subscription, 200)

        results.append(asyncio.run(main()))

    threads = [threading.Thread(target=subscriber) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait()
    for i in range(200):
        broker.publish("ab"[i % 2], _data(i))
    for thread in threads:
        thread.join()
    assert results[0] == results[1] == list(range(200))
    run(broker.aclose)


def test_a_slow_subscriber_overflows_and_never_blocks_publish(make_broker: MakeBroker) -> None:
    broker = make_broker()

    async def scenario() -> tuple[bool, bool]:
        slow = await broker.open(frozenset({"a"}), None, buffer_bytes=2_000)
        fast = await broker.open(frozenset({"a"}), None)
        for i in range(200):
            await broker.apublish("a", _data(i))
        got = await _drain(fast.subscription, 200)
        await asyncio.sleep(0)
        overflowed = slow.subscription.overflowed and slow.subscription.closed
        await broker.aclose()
        return overflowed, got == list(range(200))

    assert run(scenario) == (True, True)


def test_revoke_closes_that_users_subscriptions(make_broker: MakeBroker) -> None:
    broker = make_broker()

    async def scenario() -> tuple[bool, bool, bool]:
        alice = await broker.open(frozenset({"a", "b"}), None, user_key="alice")
        alice_b = await broker.open(frozenset({"b"}), None, user_key="alice")
        bob = await broker.open(frozenset({"a"}), None, user_key="bob")
        broker.revoke("alice", "a")
        await asyncio.wait_for(alice.subscription.wait(), 3)
        await asyncio.sleep(0.05)
        closed = (alice.subscription.closed, alice_b.subscription.closed, bob.subscription.closed)
        await broker.aclose()
        return closed

    assert run(scenario) == (True, False, False)


@pytest.mark.parametrize("order", [b'{"topic": null}', b"[]", b"not json", b'{"user": null}'])
def test_a_malformed_revocation_is_ignored_and_delivery_goes_on(
    make_broker: MakeBroker, order: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # Broker.publish takes any topic: a malformed order on the revocation
    # topic used to raise in dispatch, failing the publish (memory) or
    # ending the process's reader thread, and with it all delivery (Redis).
    broker = make_broker()

    async def scenario() -> tuple[list[int], bool]:
        alice = await broker.open(frozenset({"a"}), None, user_key="alice")
        await broker.apublish(REVOKE_TOPIC, order)
        await broker.apublish("a", _data(1))
        got = await _drain(alice.subscription, 1)
        closed = alice.subscription.closed
        await broker.aclose()
        return got, closed

    with caplog.at_level(logging.WARNING, logger="ajaxkit.live"):
        assert run(scenario) == ([1], False)
    assert any("revocation" in record.getMessage() for record in caplog.records)


def test_heartbeat_reaches_idle_subscriptions_only(make_broker: MakeBroker) -> None:
    broker = make_broker()

    async def scenario() -> tuple[bytes, bytes]:
        idle = await broker.open(frozenset({"a"}), None)
        busy = await broker.open(frozenset({"b"}), None)
        await broker.apublish("b", _data(1))
        await _drain(busy.subscription, 1)
        broker.heartbeat()
        await asyncio.sleep(0.01)
        result = idle.subscription.take(), busy.subscription.take()
        await broker.aclose()
        return result

    idle, busy = run(scenario)
    assert idle == b":\n\n"
    assert busy == b""


def test_memory_warns_once_about_cursors_of_another_log(caplog: pytest.LogCaptureFixture) -> None:
    """Several processes each with a memory:// log show up as foreign cursors."""
    mine, other = MemoryBroker(), MemoryBroker()
    foreign = parse_cursor(other.publish("a", _data(0)))
    with caplog.at_level(logging.WARNING, logger="ajaxkit.live"):
        for _ in range(3):
            assert run(lambda: mine.since(foreign, ["a"])).reset
        assert run(lambda: mine.since(parse_cursor("garbage"), ["a"])).events == []
    warnings = [r for r in caplog.records if r.name == "ajaxkit.live"]
    assert len(warnings) == 1
    assert "redis://" in warnings[0].getMessage()


def test_a_failing_listener_stops_no_other_subscriber(
    make_broker: MakeBroker, caplog: pytest.LogCaptureFixture
) -> None:
    # A transport's wake-up callback that raises used to escape from the
    # fan-out: out of publish() (memory, same loop) or out of the loop's
    # callback (Redis), skipping every subscriber after it.
    broker = make_broker()

    def broken() -> None:
        raise RuntimeError("a transport's callback failed")

    async def scenario() -> tuple[list[list[int]], bool]:
        failing = await broker.open(frozenset({"a"}), None)
        failing.subscription.listen(broken)
        others = [await broker.open(frozenset({"a"}), None) for _ in range(3)]
        await broker.apublish("a", _data(1))
        await broker.apublish("a", _data(2))
        got = [await _drain(o.subscription, 2) for o in others]
        await asyncio.sleep(0.05)
        closed = failing.subscription.closed
        await broker.aclose()
        return got, closed

    with caplog.at_level(logging.WARNING, logger="ajaxkit"):
        assert run(scenario) == ([[1, 2]] * 3, True)
    logged = [r for r in caplog.records if "listener" in r.getMessage()]
    assert len(logged) == 1 and getattr(logged[0], "error_id", None)
