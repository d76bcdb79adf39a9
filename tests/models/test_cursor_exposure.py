"""A list cursor never carries a value the records do not show.

A cursor is signed, not encrypted: its payload is base64 JSON holding the
last row's value of every ordering term.  Ordering by a field left out of
``fields`` is refused at registration; the primary key, which always ends
the order, may still be left out, and an ordering ending with it pages by
``offset`` only.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
from tests.models.backends import Backend
from tests.models.conftest import _client_class

SECRET = "private-{}@example.com"


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    return reference_combination


def _endpoint(shown: tuple[str, ...]) -> type[ModelEndpoint]:
    numbers = itertools.count()

    class Authors(ModelEndpoint):
        fields = shown
        ordering = ("name",)
        ordering_fields = ("name",)

        def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
            values["email"] = SECRET.format(next(numbers))  # never shown
            return values

    return Authors


def _client(backend: Backend, combination: tuple[Backend, str], shown: tuple[str, ...]) -> Any:
    backend.reset()
    api = Ajax()
    api.model(backend.models.Author, _endpoint(shown), resource="authors", **backend.options())
    client = _client_class(combination[1])(apis={"/ajax": api})
    client.login("alice")
    for name in ("c", "a", "b"):
        assert client.post("/ajax/authors", json={"name": name}).status == 201
    return client


@pytest.fixture
def authors(backend: Backend, combination: tuple[Backend, str]) -> Iterator[Any]:
    """A client on an authors endpoint that shows ``id`` and ``name``, not ``email``."""
    client = _client(backend, combination, ("id", "name"))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def pkless(backend: Backend, combination: tuple[Backend, str]) -> Iterator[Any]:
    """A client on an authors endpoint that shows ``name`` alone, not its pk."""
    client = _client(backend, combination, ("name",))
    try:
        yield client
    finally:
        client.close()


def _names(page: Any) -> list[str]:
    return [record["name"] for record in page.json()["results"]]


def _decoded(cursor: str) -> bytes:
    payload = cursor.partition(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))


def test_an_ordering_ending_with_a_hidden_pk_gives_no_cursor(pkless: Any) -> None:
    page = pkless.get("/ajax/authors", params={"limit": 1})
    assert page.status == 200
    assert _names(page) == ["a"]
    assert page.json()["next_cursor"] is None
    second = pkless.get("/ajax/authors", params={"limit": 1, "offset": 1})
    assert _names(second) == ["b"]


def test_an_ordering_on_shown_fields_still_pages_by_cursor(authors: Any) -> None:
    page = authors.get("/ajax/authors", params={"limit": 1, "ordering": "name"})
    cursor = page.json()["next_cursor"]
    assert cursor is not None
    assert b"example.com" not in _decoded(cursor)
    after = authors.get("/ajax/authors", params={"limit": 1, "ordering": "name", "cursor": cursor})
    assert _names(after) == ["b"]
