"""Live updates of an atomic batch: published once each, after the commit, or never.

``live.model`` publishes from the model layer's after-commit hooks; in an
atomic batch those wait for the batch's one commit.  A subscriber reading the
broker's log (long-poll, on the memory broker and on real Redis) must see
nothing of a rolled-back batch, and each change of a committed one exactly
once.  An observer registered right after ``live.model``'s runs at the very
moment of each publication and reads the store from outside the batch's
transaction: every change it sees published must already be committed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change
from ajaxkit.live import Broker, Live, MemoryBroker
from tests.models.backends import Backend
from tests.models.clients import Client
from tests.models.spec import build_api
from tests.services import redis_url, require_redis

NOTES = "notes/all"
AUTHORS = "models/authors"


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    """Every store, on the reference client: publication happens in the
    model layer, under the same batch flow on every transport."""
    return reference_combination


@pytest.fixture(params=[pytest.param("memory"), pytest.param("redis", marks=pytest.mark.redis)])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    if request.param == "memory":
        yield MemoryBroker()
        return
    require_redis()
    from ajaxkit.live.redis import RedisBroker

    redis_broker = RedisBroker(redis_url(), namespace=f"ajaxkit-test-{uuid.uuid4().hex}")
    yield redis_broker
    asyncio.run(redis_broker.aclose())


@pytest.fixture
def seen_at_publication() -> list[list[str]]:
    """The committed titles, as read at each publication of a note's change."""
    return []


@pytest.fixture
def api(
    backend: Backend, events: list[Change], broker: Broker, seen_at_publication: list[list[str]]
) -> Iterator[Ajax]:
    backend.reset()
    api = build_api(backend, events)
    api.batch()
    live = Live(api, broker)
    live.topic(NOTES, login_required=True)
    live.model(backend.models.Note, topics=lambda record: [NOTES])
    assert live.model(backend.models.Author) == AUTHORS

    def probe(request: AjaxRequest, change: Change) -> None:
        seen_at_publication.append(sorted(backend.committed_titles()))

    api.models[backend.models.Note].observers.append(probe)
    yield api


def _head(client: Client, topic: str) -> str:
    cursor: str = client.get("/ajax/_live/poll", params={"topic": topic}).json()["cursor"]
    return cursor


def _published(client: Client, topic: str, cursor: str) -> list[tuple[str, Any]]:
    params = {"topic": topic, "cursor": cursor, "timeout": 0}
    response = client.get("/ajax/_live/poll", params=params)
    assert response.status == 200, response.json()
    changes = [event["data"] for event in response.json()["events"]]
    return [(c["action"], c["record"].get("title", c["record"].get("name"))) for c in changes]


def _atomic(client: Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response.json()
    answer: dict[str, Any] = response.json()
    return answer


def _note(title: str) -> dict[str, Any]:
    return {"method": "POST", "path": "notes", "body": {"title": title}}


AUTHOR = {"method": "POST", "path": "authors", "body": {"name": "Ann", "email": "ann@x.test"}}


def test_a_rolled_back_atomic_batch_publishes_nothing(
    client: Client, backend: Backend, seen_at_publication: list[list[str]]
) -> None:
    starts = _head(client, NOTES), _head(client, AUTHORS)
    failing = {"method": "POST", "path": "notes", "body": {"title": "x", "priority": "high"}}
    answer = _atomic(client, [_note("one"), AUTHOR, _note("two"), failing])
    assert answer["committed"] is False
    assert _published(client, NOTES, starts[0]) == []
    assert _published(client, AUTHORS, starts[1]) == []
    assert seen_at_publication == []
    assert backend.titles() == []


def test_a_committed_atomic_batch_publishes_each_change_once_after_its_commit(
    client: Client, seen_at_publication: list[list[str]]
) -> None:
    starts = _head(client, NOTES), _head(client, AUTHORS)
    answer = _atomic(client, [_note("one"), AUTHOR, _note("two")])
    assert answer["committed"] is True
    pk = answer["items"][0]["body"]["id"]
    rename = {"method": "PATCH", "path": f"notes/{pk}", "body": {"title": "uno"}}
    assert _atomic(client, [rename, {"path": f"notes/{pk}"}])["committed"] is True
    assert _published(client, NOTES, starts[0]) == [
        ("created", "one"),
        ("created", "two"),
        ("updated", "uno"),
    ]
    assert _published(client, AUTHORS, starts[1]) == [("created", "Ann")]
    # The first batch's changes were published once both of its notes were
    # committed (not after the item that made each), the second's after its own.
    assert seen_at_publication == [["one", "two"], ["one", "two"], ["two", "uno"]]
