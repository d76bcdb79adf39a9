"""A Redis that lost its data (restarted without persistence, flushed) starts a new log.

Its counter starts again at 1, so positions already handed out come back
for other events.  A process that keeps running must see the new epoch:
old cursors reset instead of resuming into the new log, new events get
cursors of the new epoch, and live delivery goes on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from ajaxkit.live import parse_cursor
from ajaxkit.live.redis import RedisBroker
from tests.live.test_broker_contract import _data, _drain, _numbers
from tests.services import redis_url, require_redis

pytestmark = pytest.mark.redis


@pytest.fixture
def broker() -> Iterator[RedisBroker]:
    require_redis()
    made = RedisBroker(redis_url(), namespace=f"ajaxkit-test-{uuid.uuid4().hex}")
    yield made
    _lose_the_data(made)
    made._sync.close()


def _lose_the_data(broker: RedisBroker) -> None:
    """What a restart without persistence does to this broker's keys."""
    broker._sync.delete(broker.stream_key, broker.epoch_key, broker.counter_key)


def test_a_cursor_of_the_lost_log_resets_and_new_cursors_name_a_new_epoch(
    broker: RedisBroker,
) -> None:
    old = [broker.publish("a", _data(n)) for n in range(5)]
    _lose_the_data(broker)
    new = [broker.publish("a", _data(10 + n)) for n in range(3)]
    assert not set(old) & set(new), "a cursor names one event only"
    backlog = asyncio.run(broker.since(parse_cursor(old[1]), ["a"]))
    assert backlog.reset and backlog.events == []
    assert backlog.cursor == new[-1]
    resumed = asyncio.run(broker.since(parse_cursor(new[0]), ["a"]))
    assert _numbers(resumed.events) == [11, 12] and not resumed.reset


def test_subscriptions_of_the_lost_log_end_and_new_ones_get_live_events(
    broker: RedisBroker,
) -> None:
    async def scenario() -> tuple[bool, list[int]]:
        before = await broker.open(frozenset({"a"}), None)
        try:
            for n in range(5):
                await broker.apublish("a", _data(n))
            assert await _drain(before.subscription, 5) == [0, 1, 2, 3, 4]
            _lose_the_data(broker)
            await broker.apublish("a", _data(10))
            # Ended, so that its client comes back with its cursor and resets.
            await asyncio.wait_for(_ended(before.subscription), 10)
            after = await broker.open(frozenset({"a"}), None)
            await broker.apublish("a", _data(11))
            got = await _drain(after.subscription, 1, timeout=10)
        finally:
            await broker.aclose()
        return before.subscription.closed, got

    assert asyncio.run(scenario()) == (True, [11])


async def _ended(subscription: object) -> None:
    while not getattr(subscription, "closed"):
        await asyncio.sleep(0.05)
