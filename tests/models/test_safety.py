"""No lost updates, permissions and bad input, on every backend."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ajaxkit.core.models import Change
from tests.models.backends import Backend
from tests.models.clients import Client, MakeClient


def make_note(client: Any, **values: Any) -> dict[str, Any]:
    response = client.post("/ajax/notes", json={"title": "A note", **values})
    assert response.status == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


# -- ETags and preconditions ---------------------------------------------------


def test_stale_if_match_is_412_and_writes_nothing(client: Client) -> None:
    note = make_note(client)
    url = f"/ajax/notes/{note['id']}"
    old = client.get(url).headers["ETag"]
    assert client.patch(url, json={"title": "v2"}, headers={"If-Match": old}).status == 200
    stale = client.patch(url, json={"title": "v3"}, headers={"If-Match": old})
    assert stale.status == 412
    assert stale.json()["code"] == "precondition_failed"
    assert client.get(url).json()["title"] == "v2"
    assert client.delete(url, headers={"If-Match": old}).status == 412
    assert client.delete(url, headers={"If-Match": "*"}).status == 204


def test_version_field_etag_and_required_if_match(client: Client, events: list[Change]) -> None:
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "a@x"})
    assert author.headers["ETag"] == '"v1"'
    url = author.headers["Location"]
    missing = client.patch(url, json={"name": "Anne"})
    assert missing.status == 428 and missing.json()["code"] == "precondition_required"
    weak = client.patch(url, json={"name": "Anne"}, headers={"If-Match": 'W/"v1"'})
    assert weak.status == 412
    changed = client.patch(url, json={"name": "Anne"}, headers={"If-Match": '"v1"'})
    assert changed.status == 200 and changed.headers["ETag"] == '"v2"'
    assert changed.json()["version"] == 2
    assert client.patch(url, json={"version": 9}, headers={"If-Match": '"v2"'}).status == 422
    assert [e.action for e in events] == ["created", "updated"]


def test_required_if_match_refuses_a_wildcard_that_names_no_version(
    client: Client, events: list[Change]
) -> None:
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "a@x"})
    url = author.headers["Location"]
    # "*" matches any current record (RFC 9110), so it would protect nothing.
    for header in ("*", '"v0", *', '"v1", *'):
        for response in (
            client.patch(url, json={"name": "Anne"}, headers={"If-Match": header}),
            client.put(url, json={"name": "Anne", "email": "a@x"}, headers={"If-Match": header}),
            client.delete(url, headers={"If-Match": header}),
        ):
            assert response.status == 428, (header, response.json())
            problem = response.json()
            assert problem["code"] == "precondition_required"
            assert "name the version it read" in problem["detail"]
    assert client.get(url).json() == author.json()
    assert [e.action for e in events] == ["created"]


def test_required_if_match_that_names_nothing_is_428(client: Client, events: list[Change]) -> None:
    # An empty If-Match (or only commas) names no version either: it was a
    # 412 claiming a stale copy, where the client sent none.
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "a@x"})
    url = author.headers["Location"]
    for header in ("", " ", ",", " , "):
        response = client.patch(url, json={"name": "Anne"}, headers={"If-Match": header})
        assert response.status == 428, (header, response.json())
        assert response.json()["code"] == "precondition_required"
    assert [e.action for e in events] == ["created"]


def test_wildcard_if_match_keeps_its_meaning_when_not_required(client: Client) -> None:
    note = make_note(client)
    url = f"/ajax/notes/{note['id']}"
    # An empty list of tags matches nothing (RFC 9110 section 13.1.1).
    assert client.patch(url, json={"title": "any"}, headers={"If-Match": ","}).status == 412
    assert client.patch(url, json={"title": "any"}, headers={"If-Match": "*"}).status == 200
    assert client.post(f"{url}/publish", headers={"If-Match": "*"}).status == 200
    assert client.delete(url, headers={"If-Match": "*"}).status == 204


def _note_by(client: Client) -> tuple[str, str]:
    """A note by a new author: the note's url and the author's."""
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "a@x"})
    note = make_note(client, author=author.json()["id"])
    return f"/ajax/notes/{note['id']}", author.headers["Location"]


def _rename(client: Client, author_url: str, name: str) -> None:
    tag = client.get(author_url).headers["ETag"]
    assert client.patch(author_url, json={"name": name}, headers={"If-Match": tag}).status == 200


def test_an_expanded_record_has_an_etag_of_its_own(client: Client) -> None:
    url, author_url = _note_by(client)
    expand = {"expand": "author"}
    plain = client.get(url).headers["ETag"]
    expanded = client.get(url, params=expand).headers["ETag"]
    # RFC 9110 §8.8.3: another representation, another entity tag.
    assert expanded != plain
    assert client.get(url, params=expand, headers={"If-None-Match": expanded}).status == 304
    assert client.get(url, params=expand, headers={"If-None-Match": plain}).status == 200
    assert client.get(url, headers={"If-None-Match": expanded}).status == 200
    # The note is unchanged, the author it shows expanded is not: a cache
    # revalidating the expanded record must get the new author.
    _rename(client, author_url, "Anne")
    again = client.get(url, params=expand, headers={"If-None-Match": expanded})
    assert again.status == 200, again.headers
    assert again.json()["author"]["name"] == "Anne"
    assert again.headers["ETag"] not in (expanded, plain)
    assert client.get(url, headers={"If-None-Match": plain}).status == 304


def test_if_match_takes_the_etag_of_any_representation_of_the_record(client: Client) -> None:
    url, author_url = _note_by(client)
    expand = {"expand": "author"}
    read = client.get(url, params=expand).headers["ETag"]
    # If-Match guards the record written: a related row that changed since
    # does not make the client's copy of the note stale.
    _rename(client, author_url, "Anne")
    changed = client.patch(url, json={"title": "B"}, params=expand, headers={"If-Match": read})
    assert changed.status == 200, changed.json()
    assert changed.json()["author"]["name"] == "Anne"
    assert changed.headers["ETag"] == client.get(url, params=expand).headers["ETag"]
    # The expanded answer's tag guards the next write; the one before is stale.
    assert client.patch(url, json={"title": "C"}, headers={"If-Match": read}).status == 412
    again = client.patch(url, json={"title": "C"}, headers={"If-Match": changed.headers["ETag"]})
    assert again.status == 200
    # Only a tag this record's version gave names it.
    forged = again.headers["ETag"][:-1] + '+x"'
    assert client.patch(url, json={"title": "D"}, headers={"If-Match": forged}).status == 412


def test_concurrent_patches_with_same_if_match_one_wins(
    backend: Backend, make_client: MakeClient
) -> None:
    if not backend.name.endswith("postgres"):
        pytest.skip(
            "real concurrent connections: PostgreSQL only (SQLite serializes whole-database writes)"
        )
    first = make_client("alice")
    note = make_note(first, body="")
    url = f"/ajax/notes/{note['id']}"
    etag = first.get(url).headers["ETag"]
    rounds, results = 8, []
    lock = threading.Lock()
    failures: list[BaseException] = []
    for round_ in range(rounds):
        # A timeout, so that a thread that fails before the barrier fails the
        # test instead of leaving its twin waiting forever.
        barrier = threading.Barrier(2, timeout=30)

        # Clients log in here, not in the threads: the test's Django session
        # store is a shared in-memory SQLite, whose table locks would make the
        # race about sessions rather than about the row.
        clients = {who: make_client("alice") for who in "ab"}

        def patch(text: str, client: Any, tag: str = etag) -> None:
            try:
                barrier.wait()
                response = client.patch(url, json={"body": text}, headers={"If-Match": tag})
                with lock:
                    results.append((response.status, text, response.headers.get("ETag")))
            except BaseException as exc:
                failures.append(exc)
                barrier.abort()
            finally:
                _close_django_connection(backend)

        threads = [
            threading.Thread(target=patch, args=(f"r{round_}-{who}", client))
            for who, client in clients.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        if failures:
            raise failures[0]
        batch = results[-2:]
        assert sorted(status for status, _, _ in batch) == [200, 412], batch
        winner = next(text for status, text, _ in batch if status == 200)
        current = first.get(url)
        assert current.json()["body"] == winner  # the winner's write is the one stored
        etag = current.headers["ETag"]


def _close_django_connection(backend: Any) -> None:
    if backend.name.startswith("django"):
        from django.db import connections

        connections[backend.alias].close()


# -- permissions -----------------------------------------------------------------


def test_anonymous_refused_unless_endpoint_opts_in(make_client: MakeClient, client: Client) -> None:
    anonymous = make_client()
    response = anonymous.get("/ajax/authors")
    assert response.status == 401 and response.json()["code"] == "not_authenticated"
    assert "WWW-Authenticate" in response.headers
    assert anonymous.post("/ajax/authors", json={"name": "x", "email": "x"}).status == 401
    assert anonymous.get("/ajax/categories").status == 200


def test_out_of_scope_row_is_404_not_403(client: Client, make_client: MakeClient) -> None:
    note = make_note(client)
    bob = make_client("bob")
    response = bob.get(f"/ajax/notes/{note['id']}")
    assert response.status == 404
    assert bob.patch(f"/ajax/notes/{note['id']}", json={"title": "x"}).status == 404
    assert bob.delete(f"/ajax/notes/{note['id']}").status == 404
    assert bob.post(f"/ajax/notes/{note['id']}/publish").status == 404
    assert bob.get("/ajax/notes").json()["count"] == 0


def test_can_update_and_can_delete_give_403(client: Client, make_client: MakeClient) -> None:
    note = make_note(client)
    client.post(f"/ajax/notes/{note['id']}/publish")
    bob = make_client("bob")
    url = f"/ajax/notes/{note['id']}"
    assert bob.get(url).status == 200  # published: in bob's scope
    assert bob.patch(url, json={"title": "mine"}).status == 403
    assert bob.delete(url).status == 403
    assert bob.post(f"{url}/publish").status == 403
    assert client.get(url).json()["title"] == "A note"


def test_can_create_refusal_rolls_back(client: Client) -> None:
    response = client.post("/ajax/notes", json={"title": "forbidden"})
    assert response.status == 403
    assert client.get("/ajax/notes", params={"title": "forbidden"}).json()["count"] == 0


def test_anonymous_cannot_write_even_where_reading_is_open(
    make_client: MakeClient, client: Client
) -> None:
    note = make_note(client)
    client.post(f"/ajax/notes/{note['id']}/publish")
    anonymous = make_client()
    assert anonymous.get(f"/ajax/notes/{note['id']}").status == 200
    assert anonymous.post("/ajax/notes", json={"title": "x"}).status == 403
    assert anonymous.patch(f"/ajax/notes/{note['id']}", json={"title": "x"}).status == 403


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"title": 12}, "#/title", "string_type"),
        ({"title": "x" * 101}, "#/title", "string_too_long"),
        ({"title": "ok", "priority": "high"}, "#/priority", "int_parsing"),
        ({"title": "ok", "status": "secret"}, "#/status", "literal_error"),
        ({"title": "ok", "colour": "red"}, "#/colour", "unknown_field"),
        ({"title": "ok", "owner": "mallory"}, "#/owner", "read_only"),
        ({"title": "ok", "id": 5}, "#/id", "read_only"),
        ({"title": "ok", "author": 999999}, "#/author", "does_not_exist"),
        ({"title": "ok", "tags": ["nope"]}, "#/tags", "does_not_exist"),
        ({"title": "ok", "comments": []}, "#/comments", "read_only"),
        ({"title": None}, "#/title", "string_type"),
        ({}, "#/title", "missing"),
    ],
)
def test_bad_create_is_422_with_pointer_and_writes_nothing(
    client: Client, body: dict[str, Any], pointer: str, code: str
) -> None:
    response = client.post("/ajax/notes", json=body)
    assert response.status == 422, response.json()
    errors = response.json()["errors"]
    assert {"pointer": pointer, "code": code}.items() <= errors[0].items()
    assert client.get("/ajax/notes").json()["count"] == 0


def test_bad_update_writes_nothing(client: Client) -> None:
    for slug in ("a", "b"):
        client.post("/ajax/tags", json={"slug": slug, "label": slug})
    note = make_note(client, tags=["a"])
    url = f"/ajax/notes/{note['id']}"
    response = client.patch(url, json={"title": "changed", "tags": ["b", "missing"]})
    assert response.status == 422 and response.json()["errors"][0]["pointer"] == "#/tags"
    assert client.get(url).json() == note


def test_primary_key_cannot_change(client: Client) -> None:
    client.post("/ajax/tags", json={"slug": "a", "label": "A"})
    response = client.patch("/ajax/tags/a", json={"slug": "b"})
    assert response.status == 422
    assert response.json()["errors"][0] == {
        "pointer": "#/slug",
        "detail": "The primary key cannot be changed.",
        "code": "read_only",
    }
    assert client.patch("/ajax/tags/a", json={"slug": "a", "label": "AA"}).status == 200
    assert client.get("/ajax/tags/b").status == 404


@pytest.mark.parametrize("slug", ["a/b", ".", ".."])
def test_a_primary_key_no_url_can_name_is_refused(client: Client, slug: str) -> None:
    # Created, then unreachable: a framework decodes %2F before routing
    # (tags/a/b is no route) and a browser drops "." and ".." segments
    # (tags/.. is the collection), so no GET, PATCH or DELETE could name it.
    response = client.post("/ajax/tags", json={"slug": slug, "label": "A"})
    assert response.status == 422, response.json()
    error = response.json()["errors"][0]
    assert (error["pointer"], error["code"]) == ("#/slug", "invalid_pk")
    assert client.get("/ajax/tags").json()["count"] == 0


def test_unique_violation_is_409_with_field(client: Client) -> None:
    assert client.post("/ajax/authors", json={"name": "A", "email": "same@x"}).status == 201
    response = client.post("/ajax/authors", json={"name": "B", "email": "same@x"})
    assert response.status == 409
    assert response.json()["errors"][0]["pointer"] == "#/email"
    assert client.get("/ajax/authors").json()["count"] == 1
    assert client.post("/ajax/tags", json={"slug": "a", "label": "A"}).status == 201
    duplicate_pk = client.post("/ajax/tags", json={"slug": "a", "label": "B"})
    assert duplicate_pk.status == 409 and duplicate_pk.json()["errors"][0]["pointer"] == "#/slug"


@pytest.mark.parametrize(
    "path", ["/ajax/notes/abc", "/ajax/notes/1.5", "/ajax/comments/not-a-uuid"]
)
def test_invalid_pk_format_is_422_pointing_at_pk(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status == 422
    assert response.json()["errors"][0]["parameter"] == "pk"


def test_missing_record_is_404(client: Client) -> None:
    assert client.get("/ajax/notes/987654").status == 404
    assert client.get("/ajax/comments/12345678-1234-5678-1234-567812345678").status == 404


def test_non_object_body_is_422(client: Client) -> None:
    response = client.post("/ajax/notes", json=["title"])
    assert response.status == 422 and response.json()["errors"][0]["pointer"] == "#"


def test_form_posts_validate_the_same_way(client: Client) -> None:
    for slug in ("a", "b"):
        client.post("/ajax/tags", json={"slug": slug, "label": slug})
    response = client.post(
        "/ajax/notes", data=[("title", "Form"), ("priority", "4"), ("tags", "a"), ("tags", "b")]
    )
    assert response.status == 201, response.json()
    assert response.json()["priority"] == 4 and response.json()["tags"] == ["a", "b"]
    bad = client.post("/ajax/notes", data={"title": "Form", "priority": "x"})
    assert bad.status == 422 and bad.json()["errors"][0]["pointer"] == "#/priority"


def test_unknown_record_parameters_are_400(client: Client) -> None:
    note = make_note(client)
    response = client.get(f"/ajax/notes/{note['id']}", params={"limit": 5})
    assert response.status == 400 and response.json()["errors"][0]["parameter"] == "limit"


def test_nul_characters_are_refused_not_500(client: Client) -> None:
    response = client.post("/ajax/notes", json={"title": "a\x00b"})
    assert response.status == 422 and response.json()["errors"][0]["pointer"] == "#/title"
    search = client.get("/ajax/notes", params={"search": "a\x00"})
    assert search.status == 400 and search.json()["errors"][0]["parameter"] == "search"


@pytest.mark.parametrize("pk", ["a%00b", "1%0d%0aSet-Cookie:%20x=y", "%0a"])
def test_control_characters_in_a_pk_are_404(client: Any, pk: str) -> None:
    # NUL reached PostgreSQL as a string pk ("tags/a%00b") and failed there: a 500.
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(method, f"/ajax/tags/{pk}", json={"name": "x"})
        assert response.status == 404, (method, response.json())
        assert response.headers["Content-Type"] == "application/problem+json"
