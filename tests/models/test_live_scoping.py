"""live.model() tells a subscriber no more of a record's relations than a read would.

A published change goes to every subscriber of a topic at once, whatever each
may read, so its record holds only what reads the same for all of them; the
to-many relations that a read filters per user (the related endpoint narrows
its rows) are left out and named in ``omitted``.  The scoped app of
:mod:`tests.models.scoped_spec`: bob's published note carries his tag and
comment, which alice may not see, and alice's comment, which bob may not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax
from ajaxkit.live import Live
from tests.models.backends import Backend
from tests.models.scoped_spec import World, build_scoped_api, build_world, changed, created

TOPIC = "notes/published"


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    """Every store, on the reference client: the message is built in the
    model layer, and the conformance suite (L12) checks it on every client."""
    return reference_combination


@pytest.fixture
def api(backend: Backend) -> Iterator[Ajax]:
    backend.reset()
    api = build_scoped_api(backend)
    live = Live(api)
    live.topic(TOPIC, login_required=True)

    def topics(record: Any) -> list[str]:
        return [TOPIC] if record["status"] == "published" else []

    live.model(backend.models.Note, topics=topics)
    yield api


@pytest.fixture
def world(client: Any, make_client: Any) -> World:
    return build_world(client, make_client("bob"))


def _head(client: Any) -> str:
    cursor: str = client.get("/ajax/_live/poll", params={"topic": TOPIC}).json()["cursor"]
    return cursor


def _changes(client: Any, cursor: str) -> list[dict[str, Any]]:
    params = {"topic": TOPIC, "cursor": cursor, "timeout": 0}
    response = client.get("/ajax/_live/poll", params=params)
    assert response.status == 200, response.json()
    return [event["data"] for event in response.json()["events"]]


def _as_read(message: dict[str, Any], read: dict[str, Any]) -> None:
    """Every field the message shows, it shows as the subscriber's read
    does; what it leaves out is named in ``omitted``."""
    record = message["record"]
    assert record == {name: read[name] for name in record}, (record, read)
    assert set(read) - set(record) == set(message["omitted"])


def test_an_update_shows_no_related_row_the_subscriber_cannot_read(world: World) -> None:
    alice, bob = world.alice, world.bob
    starts = _head(alice), _head(bob)
    changed(bob, f"notes/{world.published}", {"title": "bob public, edited"})
    for reader, start in zip((alice, bob), starts, strict=True):
        (message,) = _changes(reader, start)
        assert message["action"] == "updated"
        _as_read(message, reader.get(f"/ajax/notes/{world.published}").json())
        assert message["omitted"] == ["tags", "comments"]


def test_a_create_and_a_delete_show_no_related_row_either(world: World) -> None:
    alice, bob = world.alice, world.bob
    start = _head(alice)
    note = created(bob, "notes", {"title": "new", "tags": ["b1"], "status": "published"})
    read = alice.get(f"/ajax/notes/{note['id']}").json()
    assert read["tags"] == []  # b1 is bob's
    assert bob.delete(f"/ajax/notes/{note['id']}").status == 204
    messages = _changes(alice, start)
    assert [m["action"] for m in messages] == ["created", "deleted"]
    for message in messages:
        _as_read(message, read)
        assert "b1" not in str(message)


def test_scalar_fields_and_foreign_keys_are_published_as_read(world: World) -> None:
    alice, bob = world.alice, world.bob
    start = _head(alice)
    changed(bob, f"notes/{world.published}", {"priority": 3, "author": world.bo})
    (message,) = _changes(alice, start)
    assert message["record"]["priority"] == 3
    # A foreign key is the row's own column: a read shows it as stored too.
    assert message["record"]["author"] == world.bo
