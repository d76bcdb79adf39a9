"""A Redis resume reads the stream in pages: what it holds at once is bounded.

A cursor as old as the retained window (10,000 entries by default) must not
make one resume hold every entry after it, whatever their topics; and a
long-poll that wants ``poll_limit`` events stops reading once it has them.
The entries are counted where the broker turns them into events, as read
from a real Redis connection.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import redis

from ajaxkit.live import Backlog, Event, parse_cursor
from ajaxkit.live.redis import RedisBroker
from tests.live.test_broker_contract import _data, _numbers
from tests.services import redis_url, require_redis

pytestmark = pytest.mark.redis

PAGE = 16
TOPICS = ("a", "b", "c")


@pytest.fixture
def broker() -> Iterator[RedisBroker]:
    require_redis()
    made = RedisBroker(redis_url(), namespace=f"ajaxkit-test-{uuid.uuid4().hex}", exact_trim=True)
    made.resume_page = PAGE
    yield made
    made._sync.delete(made.stream_key, made.epoch_key, made.counter_key)
    made._sync.close()


class _Pages:
    """The size of every batch of entries a resume turns into events."""

    def __init__(self, broker: RedisBroker) -> None:
        self.sizes: list[int] = []
        self._events = broker._events
        broker._events = self._count  # type: ignore[method-assign]

    def _count(
        self, entries: list[tuple[bytes, dict[bytes, bytes]]], reader: str, epoch: str
    ) -> list[Event]:
        self.sizes.append(len(entries))
        return self._events(entries, reader, epoch)


def _publish_interleaved(broker: RedisBroker, count: int) -> str:
    """``count`` events, ``n`` on topic ``TOPICS[n % 3]``; the cursor before them."""
    start = broker.publish("c", _data(-1))
    for n in range(count):
        broker.publish(TOPICS[n % 3], _data(n))
    return start


def _since(broker: RedisBroker, cursor: str, topics: list[str], limit: int | None) -> Backlog:
    return asyncio.run(broker.since(parse_cursor(cursor), topics, limit))


def test_a_resume_holds_at_most_one_page_of_entries_at_once(broker: RedisBroker) -> None:
    start = _publish_interleaved(broker, 20 * PAGE)
    pages = _Pages(broker)
    backlog = _since(broker, start, ["a", "b"], None)
    assert _numbers(backlog.events) == [n for n in range(20 * PAGE) if n % 3 != 2]
    assert backlog.cursor == asyncio.run(broker.since(None, ())).cursor
    assert max(pages.sizes) <= PAGE, pages.sizes
    assert sum(pages.sizes) == 20 * PAGE, "every entry after the cursor read once"


def test_a_limited_resume_stops_reading_once_it_has_enough(broker: RedisBroker) -> None:
    start = _publish_interleaved(broker, 20 * PAGE)
    pages = _Pages(broker)
    backlog = _since(broker, start, ["a"], 10)
    # Ten events on "a" (and the eleventh, which says more follow) lie in
    # the first 31 entries: two pages, not the whole stream.
    assert _numbers(backlog.events) == list(range(0, 30, 3))
    assert backlog.cursor == backlog.events[-1].cursor
    assert sum(pages.sizes) <= 2 * PAGE, pages.sizes


def test_a_limited_resume_that_ends_in_the_log_answers_the_head(broker: RedisBroker) -> None:
    start = _publish_interleaved(broker, 3 * PAGE)
    backlog = _since(broker, start, ["a"], PAGE)
    assert _numbers(backlog.events) == list(range(0, 3 * PAGE, 3))
    assert backlog.cursor == asyncio.run(broker.since(None, ())).cursor


def test_a_log_trimmed_between_two_pages_resets_never_a_gap(broker: RedisBroker) -> None:
    broker.window = 4 * PAGE
    start = _publish_interleaved(broker, 3 * PAGE)
    pages = _Pages(broker)
    counted = pages._count

    def trim_after_the_first_page(
        entries: list[tuple[bytes, dict[bytes, bytes]]], reader: str, epoch: str
    ) -> list[Event]:
        if not pages.sizes:  # publishing more than the window drops the next page
            for n in range(8 * PAGE):
                broker.publish("a", _data(1000 + n))
        return counted(entries, reader, epoch)

    broker._events = trim_after_the_first_page  # type: ignore[method-assign]
    backlog = _since(broker, start, ["a", "b", "c"], None)
    assert backlog.reset and backlog.events == []
    assert backlog.cursor == asyncio.run(broker.since(None, ())).cursor


def test_a_malformed_entry_at_a_page_boundary_is_skipped(broker: RedisBroker) -> None:
    client = redis.Redis.from_url(redis_url())
    start = broker.publish("a", _data(-1))
    for n in range(2 * PAGE):
        if n == PAGE - 1:  # the last entry of the first page
            client.xadd(broker.stream_key, {b"x": b"y"}, id=f"{client.incr(broker.counter_key)}-0")
        else:
            broker.publish("a", _data(n))
    client.close()
    backlog = _since(broker, start, ["a"], None)
    assert _numbers(backlog.events) == [n for n in range(2 * PAGE) if n != PAGE - 1]
