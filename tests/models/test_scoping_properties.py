"""Property: whatever bob asks of the scoped app, nothing of alice's comes back.

Random reads and writes as bob over the scoped endpoints
(:mod:`tests.models.scoped_spec`), aimed at alice's ids through every door
-- path, filters, search, ordering, expansions up to three levels, relation
values in writes.  Never a 5xx, never alice's ``SECRET`` marker, and a
refused write changes nothing bob can see.  Reference client only (see
``reference_combination``), bounded examples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax
from tests.models.backends import Backend
from tests.models.scoped_spec import World, build_scoped_api, build_world

#: What each resource can expand, up to three levels.
EXPANSIONS = {
    "notes": ("author,tags,comments", "comments.note.comments", "comments.author.notes", "tags"),
    "comments": ("note", "note.tags", "note.comments.author", "author.notes"),
    "authors": ("notes", "notes.comments", "notes.tags", "notes.author"),
    "tags": ("",),
}


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    return reference_combination


@pytest.fixture
def api(backend: Backend) -> Iterator[Ajax]:
    backend.reset()
    yield build_scoped_api(backend)


@pytest.fixture
def world(client: Any, make_client: Any) -> World:
    return build_world(client, make_client("bob"))


def alice_ids(world: World) -> st.SearchStrategy[Any]:
    # bob's own rows too: alice's are reached through their relations.
    alices = [world.ann, world.alice_note, world.alice_comment, world.moved, "a1", "b2"]
    return st.sampled_from([*alices, world.bo, world.bob_note, world.published, world.bob_comment])


@st.composite
def probes(draw: Callable[..., Any], world: World) -> tuple[str, str, dict[str, str], Any]:
    ids = alice_ids(world)
    method = draw(st.sampled_from(["GET", "GET", "GET", "POST", "PATCH"]))
    if method == "PATCH":  # bob's own rows, re-linked to alice's
        own = {"notes": world.bob_note, "comments": world.bob_comment}
        resource = draw(st.sampled_from(sorted(own)))
        path = f"/ajax/{resource}/{own[resource]}"
    else:
        resource = draw(st.sampled_from(sorted(EXPANSIONS)))
        path = f"/ajax/{resource}"
        if draw(st.booleans()):
            path += f"/{draw(ids)}"
    params = {"expand": draw(st.sampled_from(EXPANSIONS[resource]))}
    if path.count("/") == 2:  # a list: filters, search and ordering too
        extra = st.one_of(ids.map(str), st.sampled_from(["plan", "remark", "Ann", "-title"]))
        names = st.sampled_from(["search", "ordering", "title", "author", "note"])
        params.update(draw(st.dictionaries(names, extra, max_size=2)))
    body = None
    if method != "GET":
        relation = draw(st.sampled_from(["author", "tags", "note", "notes"]))
        value = draw(ids)
        body = {
            "title": "probe",
            "text": "probe",
            relation: [value] if relation == "tags" else value,
        }
    return method, path, params, body


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_bob_never_sees_or_links_alices_rows(world: World, data: st.DataObject) -> None:
    method, path, params, body = data.draw(probes(world))
    bob = world.bob
    before = [bob.get(f"/ajax/{r}", params={"limit": 100}).json() for r in ("notes", "comments")]
    response = bob.request(method, path, params=params or None, json=body)
    assert response.status < 500, (method, path, params, body)
    assert b"SECRET" not in response.content, (method, path, params, body)
    if method != "GET" and response.status >= 400:
        after = [bob.get(f"/ajax/{r}", params={"limit": 100}).json() for r in ("notes", "comments")]
        assert after == before
