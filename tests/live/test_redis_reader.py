"""The Redis reader thread outlives whatever it reads: real Redis, entries written by hand.

A process has ONE reader; if it died, every live connection of the process
would go quiet with nothing said.  So a bad entry is logged (with an error
id) and skipped, and a failure that is not about one entry is logged and
retried with backoff on a fresh connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator

import orjson
import pytest
import redis
from redis.typing import EncodableT, FieldT

from ajaxkit.live.redis import RedisBroker
from tests.live.test_broker_contract import _data, _drain
from tests.services import redis_url, require_redis

pytestmark = pytest.mark.redis


@pytest.fixture
def broker() -> Iterator[RedisBroker]:
    require_redis()
    made = RedisBroker(redis_url(), namespace=f"ajaxkit-test-{uuid.uuid4().hex}")
    yield made
    made._sync.delete(made.stream_key, made.epoch_key, made.counter_key)


def _error_ids(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [
        getattr(record, "error_id", "")
        for record in caplog.records
        if record.levelno >= logging.ERROR and words in record.getMessage()
    ]


def _add_by_hand(client: redis.Redis, broker: RedisBroker, fields: dict[bytes, bytes]) -> None:
    """XADD an entry where the next event would go (the counter's next id)."""
    n = client.incr(broker.counter_key)
    entry: dict[FieldT, EncodableT] = {key: value for key, value in fields.items()}
    client.xadd(broker.stream_key, entry, id=f"{n}-0")


@pytest.mark.parametrize(
    "fields",
    [
        {b"x": b"y"},  # neither topic nor data
        {b"t": b"a"},  # a topic, no data
        {b"t": b"\xff\xfe", b"d": b"{}"},  # a topic that is not UTF-8
    ],
    ids=["no-fields", "no-data", "undecodable-topic"],
)
def test_a_malformed_entry_is_logged_and_skipped_and_delivery_goes_on(
    broker: RedisBroker, fields: dict[bytes, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(redis_url())

    async def scenario() -> list[int]:
        opened = await broker.open(frozenset({"a"}), None)
        await broker.apublish("a", _data(1))
        _add_by_hand(client, broker, fields)
        await broker.apublish("a", _data(2))
        got = await _drain(opened.subscription, 2)
        await broker.aclose()
        return got

    with caplog.at_level(logging.WARNING, logger="ajaxkit"):
        assert asyncio.run(scenario()) == [1, 2]
    client.close()
    ids = _error_ids(caplog, "malformed")
    assert len(ids) == 1 and ids[0], "the bad entry is logged once, with an error id"


def test_a_failure_of_the_whole_read_is_logged_and_retried(
    broker: RedisBroker, caplog: pytest.LogCaptureFixture
) -> None:
    # The stream key replaced by a string: every XREAD fails (WRONGTYPE)
    # until it is put right, which is no connection error.
    client = redis.Redis.from_url(redis_url())

    async def scenario() -> list[int]:
        opened = await broker.open(frozenset({"a"}), None)
        await broker.apublish("a", _data(1))
        assert await _drain(opened.subscription, 1) == [1]
        client.delete(broker.stream_key)
        client.set(broker.stream_key, b"not a stream")
        await _until(lambda: bool(_error_ids(caplog, "Redis live reader")))
        client.delete(broker.stream_key)
        await broker.apublish("a", _data(2))
        got = await _drain(opened.subscription, 1, timeout=15)
        await broker.aclose()
        return got

    with caplog.at_level(logging.WARNING, logger="ajaxkit"):
        assert asyncio.run(scenario()) == [2]
    client.close()
    assert all(_error_ids(caplog, "Redis live reader")), "logged with an error id"


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the reader never reported the failure"
        await asyncio.sleep(0.05)


def test_a_resume_from_before_a_malformed_entry_skips_it(
    broker: RedisBroker, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(redis_url())

    async def scenario() -> list[int]:
        start = await broker.apublish("a", _data(0))
        _add_by_hand(client, broker, {b"x": b"y"})
        await broker.apublish("a", _data(1))
        opened = await broker.open(frozenset({"a"}), start)
        await broker.aclose()
        return [orjson.loads(event.data)["n"] for event in opened.backlog.events]

    with caplog.at_level(logging.WARNING, logger="ajaxkit"):
        assert asyncio.run(scenario()) == [1]
    client.close()
    assert all(_error_ids(caplog, "malformed")) and _error_ids(caplog, "a live resume")
