"""Row scoping: no way to reach another user's row finds it or learns of it.

Two users, alice and bob, on endpoints that are all scoped
(:mod:`tests.models.scoped_spec`) and related by foreign keys,
many-to-many and reverse relations.  Everything alice owns carries the
marker ``SECRET``; bob tries every way in -- id, filter, search, ordering,
cursor, expansion (direct, reverse, many-to-many, nested) and relation
writes -- and must neither see it nor learn that it exists.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from ajaxkit import Ajax
from tests.models.backends import Backend
from tests.models.conftest import COMBINATIONS, _backend, _param
from tests.models.scoped_spec import World, build_scoped_api, build_world, created

MISSING_INT = 999999
Test = TypeVar("Test", bound=Callable[..., None])

#: The tests that only read the world (GET requests, no write tried): one
#: after another on one backend and transport, they share the world the
#: first of them built (see ``world``).
READS_ONLY: set[str] = set()


def reads_only(test: Test) -> Test:
    READS_ONLY.add(test.__name__)
    return test


@dataclasses.dataclass
class KeptWorld:
    """The world the last test built, while only reading tests followed it."""

    key: tuple[str, str] | None = None
    world: World | None = None


@pytest.fixture(scope="module")
def kept_world() -> KeptWorld:
    return KeptWorld()


@pytest.fixture(scope="module", params=[_param(b, t) for b, t in COMBINATIONS])
def combination(
    request: pytest.FixtureRequest, backends: dict[str, Backend]
) -> tuple[Backend, str]:
    """The suite's combinations (conftest.py), module-scoped here: pytest then
    runs this module's tests one combination after another, so the reading
    tests of one combination come one after another too."""
    name, transport = request.param
    return _backend(name, backends), transport


@pytest.fixture(scope="module")
def kept_apis() -> dict[tuple[str, str], Ajax]:
    """The scoped registry per backend and transport, built once (see ``api``)."""
    return {}


@pytest.fixture
def api(
    request: pytest.FixtureRequest,
    combination: tuple[Backend, str],
    kept_apis: dict[tuple[str, str], Ajax],
    kept_world: KeptWorld,
) -> Iterator[Ajax]:
    """The scoped app replaces the shared spec's for this module, its tables emptied.

    Built once per backend and transport and kept, as the shared spec's is
    (tests/models/conftest.py): building it cost more than most tests here
    take, no test changes the registry, and it holds nothing that outlives a
    test (no limits, no idempotency records, no live topics; the rows are
    the backend's, emptied here).  The tables keep their rows only for a
    reading test after a reading test of the same combination (``world``).
    """
    backend, transport = combination
    key = (backend.name, transport)  # one per transport: each mount resolves its settings
    if request.function.__name__ not in READS_ONLY or kept_world.key != key:
        backend.reset()
        kept_world.key = kept_world.world = None
    if key not in kept_apis:
        kept_apis[key] = build_scoped_api(backend)
    yield kept_apis[key]


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    combination: tuple[Backend, str],
    client: Any,
    make_client: Any,
    kept_world: KeptWorld,
) -> World:
    """alice's and bob's rows (scoped_spec.build_world), as this test's clients see them.

    Building them takes 16 requests.  A test that only reads them shares
    the rows the reading test before it built, on the same backend and
    transport with nothing run in between (``api`` empties the tables
    otherwise); every other test builds its own.
    """
    bob = make_client("bob")
    if kept_world.world is not None:
        return dataclasses.replace(kept_world.world, alice=client, bob=bob)
    world = build_world(client, bob)
    if request.function.__name__ in READS_ONLY:
        backend, transport = combination
        kept_world.key, kept_world.world = (backend.name, transport), world
    return world


def reveals_nothing(response: Any) -> None:
    assert "SECRET" not in json.dumps(response.json()), response.json()


def same_answer(left: Any, right: Any, *pks: Any) -> None:
    """Two answers differ at most in the pks the client sent."""
    assert left.status == right.status

    def text(response: Any) -> str:
        body = json.dumps(response.json(), sort_keys=True)
        for pk in (*pks, MISSING_INT, "nope"):
            body = re.sub(rf"\b{re.escape(str(pk))}\b", "PK", body)
        return body

    assert text(left) == text(right)


# -- by id ---------------------------------------------------------------------


@reads_only
def test_other_users_rows_by_id_are_404_like_missing_ones(world: World) -> None:
    bob = world.bob
    for path, missing in [
        (f"notes/{world.alice_note}", f"notes/{MISSING_INT}"),
        (f"authors/{world.ann}", f"authors/{MISSING_INT}"),
        ("tags/a1", "tags/nope"),
        (f"comments/{world.alice_comment}", "comments/00000000-0000-0000-0000-000000000000"),
    ]:
        found, absent = bob.get(f"/ajax/{path}"), bob.get(f"/ajax/{missing}")
        assert found.status == 404
        same_answer(found, absent, path.rpartition("/")[2], missing.rpartition("/")[2])


# -- lists: filter, search, ordering, cursor -----------------------------------


@reads_only
def test_filters_search_and_ordering_find_nothing_of_alices(world: World) -> None:
    bob = world.bob
    for params in (
        {"author": world.ann},
        {"title": "SECRET plan"},
        {"search": "SECRET"},
        {"priority__gte": 5},
        {"ordering": "-priority,title"},
        {"expand": "author,tags,comments"},
    ):
        response = bob.get("/ajax/notes", params=params)
        assert response.status == 200, (params, response.json())
        reveals_nothing(response)
        assert world.alice_note not in [n["id"] for n in response.json()["results"]]


def test_alices_cursor_pages_bobs_rows_only(world: World) -> None:
    created(world.alice, "notes", {"title": "SECRET two", "priority": 6})
    page = world.alice.get("/ajax/notes", params={"limit": 1, "ordering": "-priority"}).json()
    assert page["next_cursor"]
    response = world.bob.get(
        "/ajax/notes", params={"limit": 5, "ordering": "-priority", "cursor": page["next_cursor"]}
    )
    assert response.status == 200
    reveals_nothing(response)
    assert {n["owner"] for n in response.json()["results"]} <= {"bob"}


# -- expansion -----------------------------------------------------------------


@reads_only
def test_to_one_expansion_outside_scope_is_null(world: World) -> None:
    url = f"/ajax/notes/{world.bob_note}"
    plain = world.bob.get(url).json()
    assert plain["author"] == world.moved  # the note's own column, as stored
    expanded = world.bob.get(url, params={"expand": "author"})
    assert expanded.status == 200 and expanded.json()["author"] is None
    comment = world.alice.get(f"/ajax/comments/{world.alice_comment}", params={"expand": "note"})
    assert comment.status == 200 and comment.json()["note"] is None


@reads_only
def test_many_to_many_outside_scope_is_left_out(world: World) -> None:
    url = f"/ajax/notes/{world.bob_note}"
    assert world.bob.get(url).json()["tags"] == ["b1"]
    expanded = world.bob.get(url, params={"expand": "tags"}).json()
    assert expanded["tags"] == [{"slug": "b1", "label": "bob: mine"}]
    listed = world.bob.get("/ajax/notes", params={"expand": "tags"}).json()["results"]
    assert {t["slug"] for n in listed for t in n["tags"]} == {"b1"}


@reads_only
def test_reverse_relation_outside_scope_is_left_out(world: World) -> None:
    url = f"/ajax/notes/{world.bob_note}"
    plain = world.bob.get(url)
    assert plain.json()["comments"] == [world.bob_comment]
    expanded = world.bob.get(url, params={"expand": "comments"})
    assert [c["id"] for c in expanded.json()["comments"]] == [world.bob_comment]
    reveals_nothing(expanded)
    author = world.alice.get(f"/ajax/authors/{world.ann}", params={"expand": "notes"})
    assert [n["id"] for n in author.json()["notes"]] == [world.alice_note]


@reads_only
def test_nested_expansion_is_scoped_at_every_level(world: World) -> None:
    response = world.alice.get(
        f"/ajax/comments/{world.alice_comment_on_published}",
        params={"expand": "note.tags,note.comments.author"},
    )
    assert response.status == 200, response.json()
    note = response.json()["note"]
    assert note["id"] == world.published
    assert note["tags"] == []  # bob's tag
    assert [c["id"] for c in note["comments"]] == [world.alice_comment_on_published]
    deep = world.bob.get(
        f"/ajax/notes/{world.bob_note}", params={"expand": "comments.note.comments"}
    )
    reveals_nothing(deep)
    assert [c["id"] for c in deep.json()["comments"][0]["note"]["comments"]] == [world.bob_comment]


def test_etag_matches_the_record_as_the_user_sees_it(world: World) -> None:
    url = f"/ajax/notes/{world.bob_note}"
    etag = world.bob.get(url).headers["ETag"]
    response = world.bob.patch(url, json={"title": "renamed"}, headers={"If-Match": etag})
    assert response.status == 200, response.json()


# -- relation writes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "secret", "absent"),
    [
        ("notes", {"title": "probe"}, {"author": "ann"}, {"author": MISSING_INT}),
        ("notes", {"title": "probe"}, {"tags": ["a1"]}, {"tags": ["nope"]}),
        ("comments", {"text": "probe"}, {"note": "alice_note"}, {"note": MISSING_INT}),
        ("comments", {"text": "probe", "note": "bob_note_mine"}, {"author": "ann"}, None),
    ],
)
def test_relation_writes_outside_scope_are_422_like_missing_rows(
    world: World,
    path: str,
    body: dict[str, Any],
    secret: dict[str, Any],
    absent: dict[str, Any] | None,
) -> None:
    bob = world.bob
    own = created(bob, "notes", {"title": "bob draft"})["id"]
    values = {"ann": world.ann, "alice_note": world.alice_note, "bob_note_mine": own}
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    secret = {k: values.get(v, v) if isinstance(v, str) else v for k, v in secret.items()}
    before = bob.get(f"/ajax/{path}").json()["count"]
    refused = bob.post(f"/ajax/{path}", json={**body, **secret})
    assert refused.status == 422, refused.json()
    assert refused.json()["errors"][0]["code"] == "does_not_exist"
    if absent is not None:
        pks = [
            v for value in secret.values() for v in (value if isinstance(value, list) else [value])
        ]
        same_answer(refused, bob.post(f"/ajax/{path}", json={**body, **absent}), *pks)
    assert bob.get(f"/ajax/{path}").json()["count"] == before


def test_relation_updates_outside_scope_are_refused(world: World) -> None:
    url = f"/ajax/notes/{world.bob_note}"
    before = world.bob.get(url).json()
    for body in ({"author": world.ann}, {"tags": ["b1", "a1"]}):
        response = world.bob.patch(url, json=body)
        assert response.status == 422 and response.json()["errors"][0]["code"] == "does_not_exist"
    assert world.bob.get(url).json() == before
    comment = f"/ajax/comments/{world.bob_comment}"
    refused = world.bob.patch(comment, json={"note": world.alice_note})
    assert refused.status == 422


def test_rows_inside_scope_still_link_and_expand(world: World) -> None:
    note = created(world.bob, "notes", {"title": "fine", "author": world.bo, "tags": ["b1"]})
    expanded = world.bob.get(f"/ajax/notes/{note['id']}", params={"expand": "author,tags"}).json()
    assert expanded["author"]["email"] == "bo@bob"
    assert expanded["tags"] == [{"slug": "b1", "label": "bob: mine"}]


def test_scoped_expansion_costs_constant_queries(world: World, backend: Backend) -> None:
    bob = world.bob

    def list_queries() -> int:
        with backend.count_queries() as queries:
            response = bob.get(
                "/ajax/notes", params={"limit": 100, "expand": "author,tags,comments.note"}
            )
        assert response.status == 200
        reveals_nothing(response)
        transport = ("django_session", "auth_user")
        selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
        return len([q for q in selects if not any(t in q for t in transport)])

    small = list_queries()
    for i in range(30):
        created(bob, "notes", {"title": f"n{i}", "author": world.bo, "tags": ["b1"]})
    assert list_queries() == small
