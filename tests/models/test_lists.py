"""Lists: pagination, cursors, search, filters, ordering, expansion, query counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.backends import Backend, DjangoBackend
from tests.models.clients import Client


def seed(client: Any, count: int, **values: Any) -> list[dict[str, Any]]:
    notes = []
    for i in range(count):
        response = client.post(
            "/ajax/notes", json={"title": f"note {i:03d}", "priority": i % 3, **values}
        )
        assert response.status == 201, response.json()
        notes.append(response.json())
    return notes


def test_offset_pagination_with_count(client: Client) -> None:
    notes = seed(client, 7)
    page = client.get("/ajax/notes", params={"limit": 3, "offset": 3}).json()
    assert page["count"] == 7
    assert [n["id"] for n in page["results"]] == [n["id"] for n in notes[3:6]]
    assert page["next_cursor"]


def test_cursor_pagination_walks_every_row_once(client: Client) -> None:
    notes = seed(client, 10)
    seen, params = [], {"limit": 3, "ordering": "-priority"}
    page = client.get("/ajax/notes", params=params).json()
    while True:
        seen += [n["id"] for n in page["results"]]
        if not page["next_cursor"]:
            break
        page = client.get("/ajax/notes", params={**params, "cursor": page["next_cursor"]}).json()
        assert page["count"] is None
    assert sorted(seen) == sorted(n["id"] for n in notes) and len(seen) == 10
    expected = sorted(notes, key=lambda n: (-n["priority"], n["id"]))
    assert seen == [n["id"] for n in expected]


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90IGpzb24", "W1siaWQiXSxbIngiXV0", "W1sidGl0bGUiXSxbMV1d"]
)
def test_malformed_cursor_is_400(client: Client, cursor: str) -> None:
    seed(client, 2)
    response = client.get("/ajax/notes", params={"cursor": cursor})
    assert response.status == 400
    assert response.json()["errors"][0]["parameter"] == "cursor"


def test_search_filters_and_ordering(client: Client) -> None:
    seed(client, 6)
    client.post("/ajax/notes", json={"title": "shopping list", "body": "milk 100%"})
    found = client.get("/ajax/notes", params={"search": "shopping"}).json()
    assert [n["title"] for n in found["results"]] == ["shopping list"]
    assert client.get("/ajax/notes", params={"search": "100%"}).json()["count"] == 1
    assert client.get("/ajax/notes", params={"search": "_"}).json()["count"] == 0
    high = client.get("/ajax/notes", params={"priority__gte": 2}).json()
    assert high["count"] == 2 and all(n["priority"] == 2 for n in high["results"])
    listed = client.get("/ajax/notes", params={"priority__in": "0,2", "ordering": "-title"}).json()
    titles = [n["title"] for n in listed["results"]]
    assert titles == sorted(titles, reverse=True) and len(titles) == 5
    assert client.get("/ajax/notes", params={"category__isnull": "true"}).json()["count"] == 7
    assert (
        client.get("/ajax/notes", params={"priority": 1, "priority__lte": 1}).json()["count"] == 2
    )


def test_a_repeated_filter_value_is_any_of_them(client: Client) -> None:
    # A filter form's checkbox group sends priority=0&priority=2: the notes of
    # either priority, as django-filter's multiple choice reads it; both at
    # once would always be none.
    seed(client, 6)
    either = client.get("/ajax/notes", params=[("priority", "0"), ("priority", "2")]).json()
    assert sorted(n["priority"] for n in either["results"]) == [0, 0, 2, 2]
    lists = [("priority__in", "0"), ("priority__in", "1,2"), ("priority", "")]
    assert client.get("/ajax/notes", params=lists).json()["count"] == 6
    # Bounds still combine: at least 1 and at most 1.
    bounded = [("priority__gte", "1"), ("priority__lte", "1")]
    assert client.get("/ajax/notes", params=bounded).json()["count"] == 2


def test_filter_by_foreign_key(client: Client) -> None:
    author = client.post("/ajax/authors", json={"name": "A", "email": "a@x"}).json()
    seed(client, 2)
    seed(client, 3, author=author["id"])
    assert client.get("/ajax/notes", params={"author": author["id"]}).json()["count"] == 3
    assert client.get("/ajax/notes", params={"author__isnull": "false"}).json()["count"] == 3


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"colour": "red"}, "colour"),
        ({"owner": "alice"}, "owner"),
        ({"title__contains": "x"}, "title__contains"),
        # An empty lookup is no lookup of the grammar: it read as exact.
        ({"status__": "draft"}, "status__"),
        ({"status__in__gte": "draft"}, "status__in__gte"),
        ({"priority": "high"}, "priority"),
        ({"ordering": "owner"}, "ordering"),
        ({"ordering": "-body"}, "ordering"),
        ({"limit": "100000"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        # Beyond any SQL OFFSET (was an OverflowError, a 500), Unicode digits
        # (isdigit() is true, int() fails) and more digits than int() takes.
        ({"offset": "99999999999999999999"}, "offset"),
        ({"offset": "²"}, "offset"),
        ({"limit": "٣"}, "limit"),
        ({"offset": "9" * 5000}, "offset"),
        ({"expand": "owner"}, "expand"),
        ({"expand": "author.notes.author"}, "expand"),
        ({"cursor": "x", "offset": "0"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_400_with_a_pointer(
    client: Client, params: dict[str, str], parameter: str
) -> None:
    response = client.get("/ajax/notes", params=params)
    assert response.status == 400, response.json()
    body = response.json()
    assert body["errors"][0]["parameter"] == parameter
    assert response.headers["Content-Type"] == "application/problem+json"


def test_B13_blank_list_parameters_count_as_not_given(client: Client) -> None:
    # A GET filter form sends every field; its "any" choices arrive empty.
    seed(client, 5)
    everything = client.get("/ajax/notes").json()
    blank = ["limit", "offset", "cursor", "search", "ordering", "expand"]
    blank += ["priority", "priority__in", "priority__gte", "category__isnull", "title"]
    response = client.get("/ajax/notes", params=dict.fromkeys(blank, ""))
    assert response.status == 200, response.json()
    assert response.json() == everything
    chosen = client.get("/ajax/notes", params={"status": "", "priority": "", "priority__gte": "2"})
    assert chosen.json()["count"] == 1
    # A name the endpoint does not filter on is refused, blank or not.
    response = client.get("/ajax/notes", params={"colour": ""})
    assert response.status == 400 and response.json()["errors"][0]["parameter"] == "colour"


def test_cache_buster_parameter_is_ignored(client: Client) -> None:
    seed(client, 1)
    assert client.get("/ajax/notes", params={"_": "1712345"}).status == 200


def test_expand_nested_relations(client: Client) -> None:
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "ann@x"}).json()
    client.post("/ajax/tags", json={"slug": "t", "label": "T"})
    note = client.post(
        "/ajax/notes", json={"title": "N", "author": author["id"], "tags": ["t"]}
    ).json()
    client.post("/ajax/comments", json={"note": note["id"], "author": author["id"], "text": "c"})
    response = client.get(
        f"/ajax/notes/{note['id']}", params={"expand": "author,tags,comments.author"}
    )
    record = response.json()
    assert record["author"] == {"id": author["id"], "name": "Ann", "email": "ann@x", "version": 1}
    assert record["tags"] == [{"slug": "t", "label": "T"}]
    assert record["comments"][0]["author"]["name"] == "Ann"
    assert record["comments"][0]["note"] == note["id"]
    # Another representation of the record: another entity tag (test_safety.py).
    assert response.headers["ETag"] != client.get(f"/ajax/notes/{note['id']}").headers["ETag"]


def test_listing_100_rows_with_two_expansions_costs_constant_queries(
    client: Client, backend: Backend
) -> None:
    authors = [
        client.post("/ajax/authors", json={"name": f"A{i}", "email": f"{i}@x"}).json()
        for i in range(5)
    ]
    for slug in "abc":
        client.post("/ajax/tags", json={"slug": slug, "label": slug})

    def list_queries(rows: int) -> int:
        with backend.count_queries() as queries:
            page = client.get("/ajax/notes", params={"limit": 200, "expand": "author,tags"}).json()
        assert len(page["results"]) == rows
        assert all(n["author"]["name"].startswith("A") for n in page["results"])
        # Django's session and user lookups belong to the transport, not to
        # the listing; they are constant too, but not what is measured here.
        transport = ("django_session", "auth_user")
        selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
        return len([q for q in selects if not any(t in q for t in transport)])

    for i in range(10):
        client.post(
            "/ajax/notes",
            json={"title": f"n{i}", "author": authors[i % 5]["id"], "tags": ["a", "b"]},
        )
    small = list_queries(10)
    for i in range(90):
        client.post(
            "/ajax/notes", json={"title": f"m{i}", "author": authors[i % 5]["id"], "tags": ["c"]}
        )
    assert list_queries(100) == small <= 4


def test_same_json_for_same_data_across_orms(client: Client) -> None:
    author = client.post("/ajax/authors", json={"name": "Ann", "email": "ann@x"}).json()
    note = client.post(
        "/ajax/notes", json={"title": "N", "author": author["id"], "priority": 2}
    ).json()
    record = client.get(f"/ajax/notes/{note['id']}", params={"expand": "author"}).json()
    record.pop("created_at")
    assert record == {
        "id": note["id"],
        "title": "N",
        "body": "",
        "status": "draft",
        "priority": 2,
        "owner": "alice",
        "author": {"id": author["id"], "name": "Ann", "email": "ann@x", "version": 1},
        "category": None,
        "tags": [],
        "comments": [],
    }


def test_django_reads_open_no_transaction(client: Client, backend: Backend) -> None:
    """Lists and gets cost no BEGIN/COMMIT round trips on Django (autocommit)."""
    if not isinstance(backend, DjangoBackend):
        pytest.skip("SQLAlchemy sessions always begin a transaction")
    from django.db import connections

    connection = connections[backend.alias]
    note = seed(client, 1)[0]
    commits: list[bool] = []
    commit = connection.commit

    def counting_commit() -> None:
        commits.append(True)
        commit()

    connection.commit = counting_commit  # type: ignore[method-assign]  # counts round trips
    try:
        with backend.count_queries() as queries:
            assert client.get("/ajax/notes").status == 200
            assert client.get(f"/ajax/notes/{note['id']}").status == 200
    finally:
        del connection.commit
    assert commits == []
    assert not [q for q in queries if q.strip().upper() in ("BEGIN", "COMMIT")]


def test_largest_offset_is_an_empty_page(client: Any) -> None:
    seed(client, 1)
    response = client.get("/ajax/notes", params={"offset": str(2**62)})
    assert response.status == 200, response.json()
    assert response.json()["results"] == []
