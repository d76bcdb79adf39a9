"""List-query limits, integer filters and signed cursors: refused with a clear 4xx.

Query parsing is the model layer's, identical under every transport, so
this module runs on the reference client over every backend
(``reference_combination``) rather than the whole matrix.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.backends import Backend

INT64_OVER = 2**63
HUGE = "99999999999999999999"


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    return reference_combination


def refused_parameter(response: Any, parameter: str) -> None:
    """A client error pointing at query parameter ``parameter``."""
    assert 400 <= response.status < 500, response.json()
    assert response.json()["errors"][0]["parameter"] == parameter


# -- integers over the column's range ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("priority__in", f"1,{HUGE}"),
        ("priority", str(INT64_OVER)),
        ("priority__gte", HUGE),
        ("author", str(INT64_OVER)),
        ("author__in", f"1,{INT64_OVER}"),
    ],
)
def test_filter_over_the_range_is_refused(client: Any, name: str, value: str) -> None:
    refused_parameter(client.get("/ajax/notes", params={name: value}), name)


# -- sizes of search, ordering and filters ---------------------------------------


def test_search_longer_than_the_limit_is_refused(client: Any) -> None:
    # Over SQLite's 50,000-byte LIKE pattern limit, under httpx's URL limit.
    refused_parameter(client.get("/ajax/notes", params={"search": "x" * 60_000}), "search")
    assert client.get("/ajax/notes", params={"search": "x" * 200}).status == 200


def test_too_many_ordering_terms_are_refused(client: Any) -> None:
    refused_parameter(
        client.get("/ajax/notes", params={"ordering": ",".join(["title"] * 3000)}), "ordering"
    )


def test_repeated_ordering_terms_order_once(client: Any) -> None:
    for title in ("b", "a", "c"):
        client.post("/ajax/notes", json={"title": title})
    params = {"ordering": "title,-title,title", "limit": 2}
    page = client.get("/ajax/notes", params=params)
    assert page.status == 200, page.json()
    assert [n["title"] for n in page.json()["results"]] == ["a", "b"]
    rest = client.get("/ajax/notes", params={**params, "cursor": page.json()["next_cursor"]})
    assert [n["title"] for n in rest.json()["results"]] == ["c"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("priority__in", ",".join(["1"] * 1000)),
        ("title", "x" * 5000),
        ("title__in", "a," + "x" * 5000),
    ],
)
def test_oversized_filters_are_refused(client: Any, name: str, value: str) -> None:
    refused_parameter(client.get("/ajax/notes", params={name: value}), name)


# -- cursors ---------------------------------------------------------------------


def first_cursor(client: Any, path: str = "/ajax/notes", **params: Any) -> str:
    page = client.get(path, params={"limit": 1, **params}).json()
    assert page["next_cursor"], page
    return str(page["next_cursor"])


def malformed_cursor(response: Any) -> None:
    assert response.status == 400, response.json()
    error = response.json()["errors"][0]
    assert error["parameter"] == "cursor" and error["code"] == "malformed_cursor"


def seed_notes(client: Any, count: int = 3) -> None:
    for i in range(count):
        assert client.post("/ajax/notes", json={"title": f"n{i}"}).status == 201


def test_tampered_cursor_is_400(client: Any) -> None:
    seed_notes(client)
    cursor = first_cursor(client)
    body, _, mac = cursor.partition(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    for forged in (f"{flipped}.{mac}", body, f"{body}.{mac[::-1]}", f"{body}.", "." + mac):
        malformed_cursor(client.get("/ajax/notes", params={"limit": 1, "cursor": forged}))


def test_crafted_unsigned_cursor_is_400(client: Any) -> None:
    import base64
    import json

    seed_notes(client)
    # Well-formed for the default ordering: only the signature is missing.
    values = [["id"], [0]]
    crafted = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    malformed_cursor(client.get("/ajax/notes", params={"cursor": crafted}))


def test_cursor_of_another_resource_is_400(client: Any) -> None:
    for i in range(3):
        client.post("/ajax/authors", json={"name": f"a{i}", "email": f"{i}@x"})
    seed_notes(client)
    foreign = first_cursor(client, "/ajax/authors")  # ordered by id, like notes by default
    malformed_cursor(client.get("/ajax/notes", params={"cursor": foreign}))


def test_oversized_cursor_is_400(client: Any) -> None:
    seed_notes(client)
    malformed_cursor(client.get("/ajax/notes", params={"cursor": "A" * 10_000}))


def test_cursor_signed_with_another_secret_is_400(client: Any, api: Any) -> None:
    seed_notes(client)
    api.configure(secret_key="first")
    cursor = first_cursor(client)
    assert client.get("/ajax/notes", params={"cursor": cursor}).status == 200
    api.configure(secret_key="second")
    malformed_cursor(client.get("/ajax/notes", params={"cursor": cursor}))


def test_cursor_signed_with_a_fallback_key_still_pages(client: Any, api: Any) -> None:
    # Rotating the key broke every list a page was partway through.
    seed_notes(client)
    api.configure(secret_key="first")
    cursor = first_cursor(client)
    api.configure(secret_key="second", secret_key_fallbacks=("older", "first"))
    assert client.get("/ajax/notes", params={"cursor": cursor}).status == 200
    fresh = first_cursor(client)  # signed with the current key alone
    api.configure(secret_key="first", secret_key_fallbacks=())
    malformed_cursor(client.get("/ajax/notes", params={"cursor": fresh}))
    api.configure(secret_key="second")
    assert client.get("/ajax/notes", params={"cursor": fresh}).status == 200


def test_nul_inside_a_cursor_value_is_refused() -> None:
    from ajaxkit import ClientError
    from ajaxkit.core.models.cursor import CursorCodec

    codec = CursorCodec("notes", lambda: "key")
    signed = codec.encode(["title", "id"], ["a\x00b", 1])
    with pytest.raises(ClientError) as caught:
        codec.decode(signed)
    assert caught.value.status == 400
    assert codec.decode(codec.encode(["title", "id"], ["ab", 1])) == (["title", "id"], ["ab", 1])
