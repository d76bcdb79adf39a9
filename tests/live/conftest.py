"""Brokers for the contract suite: every test body runs on memory and on real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from ajaxkit.live import Broker, MemoryBroker
from tests.services import redis_url, require_redis

#: ``make(window=...)`` → a fresh broker with its own log.
MakeBroker = Callable[..., Broker]


def _memory(request: pytest.FixtureRequest) -> Iterator[MakeBroker]:
    yield lambda window=10_000: MemoryBroker(window)


def _redis(request: pytest.FixtureRequest) -> Iterator[MakeBroker]:
    require_redis()
    import redis

    from ajaxkit.live.redis import RedisBroker

    namespaces: list[str] = []

    def make(window: int = 10_000) -> Broker:
        namespace = f"ajaxkit-test-{uuid.uuid4().hex}"
        namespaces.append(namespace)
        made = RedisBroker(redis_url(), namespace=namespace, window=window)
        # Small pages, so every contract test also crosses page boundaries.
        made.resume_page = 16
        return made

    yield make
    client = redis.Redis.from_url(redis_url())
    for namespace in namespaces:
        client.delete(*(f"{{{namespace}}}:live{s}" for s in ("", ":epoch", ":n")))
    client.close()


@pytest.fixture(params=[pytest.param("memory"), pytest.param("redis", marks=pytest.mark.redis)])
def make_broker(request: pytest.FixtureRequest) -> Iterator[MakeBroker]:
    """A factory of fresh brokers of one backend."""
    yield from (_memory if request.param == "memory" else _redis)(request)
