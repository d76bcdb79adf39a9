"""One contract for the idempotency stores and the rate-limit storages: memory and Redis.

Redis tests use a unique key prefix each and delete what they wrote.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from limits.storage import MemoryStorage, RedisStorage, Storage

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.idempotency import DEFAULT_MAX_BYTES, IdempotencyStore, MemoryIdempotencyStore
from ajaxkit.core.ratelimit import CounterStorage
from ajaxkit.exceptions import ConfigurationError
from ajaxkit.testing import Client
from tests.services import redis_url, require_redis

NOW = 1_700_000_000.0


def _redis_client() -> Any:
    import redis

    return redis.Redis.from_url(redis_url())


def _cleanup(prefix: str) -> None:
    client = _redis_client()
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[IdempotencyStore]:
    if request.param == "memory":
        yield MemoryIdempotencyStore()
        return
    require_redis()
    from ajaxkit.stores.redis import RedisIdempotencyStore

    prefix = f"test:{uuid.uuid4()}:"
    found = RedisIdempotencyStore.from_url(redis_url(), prefix=prefix)
    try:
        yield found
    finally:
        found.client.close()
        _cleanup(prefix)


@pytest.fixture(params=["counter", "memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    if request.param == "counter":
        yield CounterStorage()
        return
    if request.param == "memory":
        yield MemoryStorage()
        return
    require_redis()
    prefix = f"test:{uuid.uuid4()}"
    yield RedisStorage(redis_url(), key_prefix=prefix)
    _cleanup(prefix)


def test_reserve_once(store: IdempotencyStore) -> None:
    assert store.reserve("k", b"first", NOW, NOW + 10) is None
    assert store.reserve("k", b"second", NOW, NOW + 10) == b"first"


def test_save_replaces_the_reservation(store: IdempotencyStore) -> None:
    store.reserve("k", b"pending", NOW, NOW + 10)
    store.save("k", b"done", NOW, NOW + 100)
    assert store.reserve("k", b"other", NOW + 50, NOW + 60) == b"done"


def test_expired_records_are_gone_by_the_callers_clock(store: IdempotencyStore) -> None:
    store.reserve("k", b"old", NOW, NOW + 10)
    assert store.reserve("k", b"new", NOW + 10, NOW + 20) is None
    assert store.reserve("k", b"newer", NOW + 11, NOW + 20) == b"new"


def test_release_forgets(store: IdempotencyStore) -> None:
    store.reserve("k", b"pending", NOW, NOW + 10)
    store.release("k")
    assert store.reserve("k", b"again", NOW, NOW + 10) is None


def test_keys_are_apart(store: IdempotencyStore) -> None:
    assert store.reserve("a", b"1", NOW, NOW + 10) is None
    assert store.reserve("b", b"2", NOW, NOW + 10) is None


def test_one_of_many_concurrent_reservations_wins(store: IdempotencyStore) -> None:
    wins: list[int] = []
    start = threading.Barrier(8)

    def reserve(n: int) -> None:
        start.wait()
        if store.reserve("k", str(n).encode(), NOW, NOW + 10) is None:
            wins.append(n)

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1


def test_rate_limits_count_the_same_on_every_storage(storage: Storage) -> None:
    clock = ManualClock(NOW)
    api = Ajax(clock=clock, rate_limit_storage=storage)

    @api.endpoint("hit", rate="2/minute")
    def hit(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    client = Client(api)
    statuses = [client.get("/ajax/hit").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    clock.advance(60)
    assert client.get("/ajax/hit").headers["ratelimit"].startswith('"2/minute";r=1;')


def test_the_counter_storage_drops_expired_windows() -> None:
    storage = CounterStorage()
    assert storage.incr("old", -1) == 1  # already expired
    storage._next_sweep = 0.0  # the sweep is due (it runs at most once a second)
    assert storage.incr("new", 10) == 1
    assert "old" not in storage.storage
    assert storage.get("new") == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_an_unreachable_store_is_503_not_an_open_door() -> None:
    from ajaxkit.stores.redis import RedisIdempotencyStore

    url = f"redis://127.0.0.1:{_closed_port()}/0"
    store = RedisIdempotencyStore.from_url(url, socket_connect_timeout=1)
    api = Ajax(rate_limit_storage=RedisStorage(url), idempotency_store=store)

    @api.endpoint("hit", methods=["POST"], rate="2/minute", idempotency=False)
    def hit(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    @api.endpoint("make", methods=["POST"])
    def make(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    client = Client(api)
    limited = client.post("/ajax/hit", json={})
    assert limited.status == 503
    assert limited.json()["code"] == "service_unavailable"
    keyed = client.post("/ajax/make", json={}, headers={"Idempotency-Key": '"k"'})
    assert keyed.status == 503
    assert client.post("/ajax/make", json={}).status == 200  # no key: no store needed
    store.client.close()


# --- the in-process store's bounds ----------------------------------------------


def test_the_memory_store_keeps_at_most_max_records() -> None:
    # Every POST with a fresh key adds a record (4xx answers included), so a
    # stranger could otherwise fill the process's memory for a whole day.
    store = MemoryIdempotencyStore(max_records=100)
    for n in range(250):
        assert store.reserve(f"k{n}", b"r", NOW, NOW + 10) is None
    assert len(store) == 100
    # The oldest are forgotten first (a retry of such a key runs again) ...
    assert store.reserve("k149", b"again", NOW, NOW + 10) is None
    # ... and the latest are still answered.
    assert store.reserve("k249", b"again", NOW, NOW + 10) == b"r"


def test_a_full_memory_store_forgets_expired_records_before_live_ones() -> None:
    store = MemoryIdempotencyStore(max_records=100)
    store.reserve("kept", b"live", NOW, NOW + 1000)
    for n in range(99):
        store.reserve(f"old{n}", b"r", NOW, NOW + 1)
    for n in range(99):
        store.reserve(f"new{n}", b"r", NOW + 2, NOW + 1000)
    assert store.reserve("kept", b"again", NOW + 2, NOW + 1000) == b"live"


def test_a_saved_answer_keeps_its_place_and_the_bound() -> None:
    store = MemoryIdempotencyStore(max_records=2)
    store.reserve("a", b"pending", NOW, NOW + 10)
    store.reserve("b", b"pending", NOW, NOW + 10)
    store.save("a", b"done", NOW, NOW + 100)
    store.reserve("c", b"pending", NOW, NOW + 10)  # "a" is still the oldest
    assert len(store) == 2
    assert store.reserve("a", b"again", NOW, NOW + 10) is None


def test_the_default_memory_store_holds_a_bounded_number_of_bytes() -> None:
    # A record holds the whole answer: 10,000 answers of 1 MiB (a create
    # echoing a 1 MiB text field, each under a fresh key) were 10 GiB.
    store = MemoryIdempotencyStore()
    answer = b"x" * 2**20
    for n in range(200):
        assert store.reserve(f"k{n}", b"pending", NOW, NOW + 10) is None
        store.save(f"k{n}", answer, NOW, NOW + 100)
    assert store.stored_bytes <= store.max_bytes == DEFAULT_MAX_BYTES
    assert len(store) <= DEFAULT_MAX_BYTES // len(answer)
    # The latest answers are still replayed; the oldest run again if retried.
    assert store.reserve("k199", b"again", NOW, NOW + 10) == answer
    assert store.reserve("k0", b"again", NOW, NOW + 10) is None


def test_a_smaller_byte_bound_forgets_the_oldest_answers_first() -> None:
    store = MemoryIdempotencyStore(max_bytes=10)
    store.reserve("a", b"12345", NOW, NOW + 10)
    store.reserve("b", b"12345", NOW, NOW + 10)
    store.save("b", b"1234567", NOW, NOW + 10)  # 12 bytes: "a" goes
    assert (len(store), store.stored_bytes) == (1, 7)
    store.release("b")
    assert (len(store), store.stored_bytes) == (0, 0)


@pytest.mark.parametrize("max_bytes", [0, -1, 1.5, True, "10"])
def test_the_memory_store_byte_bound_must_be_a_whole_number(max_bytes: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_bytes"):
        MemoryIdempotencyStore(max_bytes=max_bytes)


@pytest.mark.parametrize("max_records", [0, -1, 1.5, True, "10"])
def test_the_memory_store_bound_must_be_a_whole_number(max_records: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_records"):
        MemoryIdempotencyStore(max_records=max_records)


def test_memory_store_reservations_cost_the_same_however_many_are_live() -> None:
    # Collecting expired records used to scan every record on each
    # reservation once more than 1,024 were live: quadratic, under the lock
    # every keyed request waits for (40,000 keys took over 20 seconds).
    for store in (MemoryIdempotencyStore(max_records=50_000), MemoryIdempotencyStore()):
        started = time.perf_counter()
        for n in range(40_000):
            store.reserve(str(n), b"r", NOW, NOW + 10)
        assert time.perf_counter() - started < 2.0  # about 0.1 s
