"""Create, read, update, delete and actions, on every backend."""

from __future__ import annotations

from typing import Any

from ajaxkit.core.models import Change
from tests.models.clients import Client


def make_author(client: Any, name: str = "Ann", email: str | None = None) -> dict[str, Any]:
    response = client.post(
        "/ajax/authors", json={"name": name, "email": email or f"{name.lower()}@x.org"}
    )
    assert response.status == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def make_note(client: Any, **values: Any) -> dict[str, Any]:
    response = client.post("/ajax/notes", json={"title": "A note", **values})
    assert response.status == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_create_returns_201_record_location_and_etag(client: Client, events: list[Change]) -> None:
    author = make_author(client)
    client.post("/ajax/tags", json={"slug": "b", "label": "B"})
    client.post("/ajax/tags", json={"slug": "a", "label": "A"})
    response = client.post(
        "/ajax/notes",
        json={"title": "Hello", "author": author["id"], "tags": ["b", "a"], "priority": 3},
    )
    assert response.status == 201
    note = response.json()
    assert response.headers["Location"] == f"/ajax/notes/{note['id']}"
    assert response.headers["ETag"].startswith('"')
    assert {
        k: note[k]
        for k in (
            "title",
            "body",
            "status",
            "priority",
            "owner",
            "author",
            "category",
            "tags",
            "comments",
        )
    } == {
        "title": "Hello",
        "body": "",
        "status": "draft",
        "priority": 3,
        "owner": "alice",
        "author": author["id"],
        "category": None,
        "tags": ["a", "b"],
        "comments": [],
    }
    assert note["created_at"] is not None
    assert [(e.action, e.pk) for e in events] == [
        ("created", author["id"]),
        ("created", note["id"]),
    ]
    assert events[-1].record["title"] == "Hello"


def test_get_returns_record_with_etag_matching_create(client: Client) -> None:
    created = client.post("/ajax/notes", json={"title": "T"})
    response = client.get(created.headers["Location"])
    assert response.status == 200
    assert response.json() == created.json()
    assert response.headers["ETag"] == created.headers["ETag"]
    again = client.get(
        created.headers["Location"], headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status == 304 and again.content == b""


def test_patch_changes_only_given_fields_and_the_etag(client: Client, events: list[Change]) -> None:
    note = make_note(client, body="old body")
    url = f"/ajax/notes/{note['id']}"
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, json={"title": "New"}, headers={"If-Match": etag})
    assert response.status == 200
    assert response.json()["title"] == "New"
    assert response.json()["body"] == "old body"
    assert response.headers["ETag"] != etag
    assert client.get(url).json()["title"] == "New"
    assert events[-1].action == "updated" and events[-1].record["title"] == "New"


def test_put_requires_required_fields(client: Client) -> None:
    note = make_note(client)
    url = f"/ajax/notes/{note['id']}"
    response = client.put(url, json={"body": "x"})
    assert response.status == 422
    assert response.json()["errors"][0]["pointer"] == "#/title"
    response = client.put(url, json={"title": "Full", "body": "x"})
    assert response.status == 200 and response.json()["title"] == "Full"


def test_delete_is_204_and_gone(client: Client, events: list[Change]) -> None:
    note = make_note(client)
    url = f"/ajax/notes/{note['id']}"
    response = client.delete(url)
    assert response.status == 204 and response.content == b""
    assert client.get(url).status == 404
    assert events[-1].action == "deleted" and events[-1].record["id"] == note["id"]


def test_many_to_many_written_by_pk_and_replaced(client: Client) -> None:
    for slug in ("x", "y", "z"):
        client.post("/ajax/tags", json={"slug": slug, "label": slug.upper()})
    note = make_note(client, tags=["x", "y"])
    url = f"/ajax/notes/{note['id']}"
    response = client.patch(url, json={"tags": ["z"]})
    assert response.json()["tags"] == ["z"]
    assert client.get(url).json()["tags"] == ["z"]


def test_string_and_uuid_primary_keys(client: Client) -> None:
    tag = client.post("/ajax/tags", json={"slug": "py", "label": "Python"})
    assert tag.status == 201 and tag.headers["Location"] == "/ajax/tags/py"
    assert client.get("/ajax/tags/py").json() == {"slug": "py", "label": "Python"}
    note = make_note(client)
    comment = client.post("/ajax/comments", json={"note": note["id"], "text": "hi"})
    assert comment.status == 201
    pk = comment.json()["id"]
    assert len(pk) == 36
    assert client.get(f"/ajax/comments/{pk}").json()["text"] == "hi"
    assert client.get(f"/ajax/notes/{note['id']}").json()["comments"] == [pk]


def test_action_runs_in_the_records_transaction(client: Client, events: list[Change]) -> None:
    note = make_note(client)
    response = client.post(f"/ajax/notes/{note['id']}/publish")
    assert response.status == 200
    assert response.json()["status"] == "published"
    assert response.headers["ETag"]
    assert client.get(f"/ajax/notes/{note['id']}").json()["status"] == "published"
    assert events[-1].action == "updated"
    summary = client.get(f"/ajax/notes/{note['id']}/summary")
    assert summary.json() == {"title": "A note", "length": 0}


def test_an_action_that_changes_nothing_reports_no_update_even_expanded(
    client: Client, events: list[Change]
) -> None:
    note = make_note(client, status="published")
    url = f"/ajax/notes/{note['id']}/publish"
    # The record's own tag decides whether it changed, not the tag of the
    # expanded answer (which is never the record's).
    response = client.post(url, params={"expand": "comments"})
    assert response.status == 200 and response.json()["comments"] == []
    assert [e.action for e in events] == ["created"]


def test_private_methods_and_unknown_actions_are_not_routable(client: Client) -> None:
    note = make_note(client)
    assert client.post(f"/ajax/notes/{note['id']}/_secret").status == 404
    assert client.post(f"/ajax/notes/{note['id']}/secret").status == 404
    assert client.post(f"/ajax/notes/{note['id']}/get_queryset").status == 404


def test_operations_limit_the_routes(client: Client) -> None:
    category = client.post("/ajax/categories", json={"name": "News"})
    assert category.status == 201
    response = client.delete(f"/ajax/categories/{category.json()['id']}")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]


def test_put_on_a_client_chosen_pk_does_not_require_it_in_the_body(client: Client) -> None:
    assert client.post("/ajax/tags", json={"slug": "a", "label": "A"}).status == 201
    response = client.put("/ajax/tags/a", json={"label": "AA"})
    assert response.status == 200 and response.json() == {"slug": "a", "label": "AA"}
    assert client.put("/ajax/tags/a", json={}).json()["errors"][0]["pointer"] == "#/label"
