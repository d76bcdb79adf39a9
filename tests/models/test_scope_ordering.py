"""A ``get_queryset`` that orders its rows does not reorder a list: the list's own
ordering (the client's, or the endpoint's default) decides, on both ORMs."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import Backend, SQLAlchemyBackend
from tests.models.conftest import BACKENDS, _backend, _param


def _by_email_descending(backend: Backend, scope: Any) -> Any:
    if isinstance(backend, SQLAlchemyBackend):
        return scope.order_by(backend.models.Author.email.desc())
    return scope.order_by("-email")


@pytest.fixture(params=[_param(name, "reference") for name in BACKENDS])
def client(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Iterator[Client]:
    backend = _backend(request.param[0], backends)
    backend.reset()

    class Ordered(ModelEndpoint):
        fields = ("id", "name", "email")
        ordering_fields = ("name",)
        ordering = ("name",)

        def get_queryset(self, request: AjaxRequest) -> Any:
            return _by_email_descending(backend, super().get_queryset(request))

    api = Ajax()
    api.model(backend.models.Author, Ordered, resource="authors", **backend.options())
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    yield client
    backend.reset()


def test_the_list_ordering_wins_over_the_scope_ordering(client: Client) -> None:
    # SQLAlchemy appended the list's ORDER BY to the scope's: the rows came
    # in the scope's order whatever the client asked, and a cursor, made
    # for the asked order, skipped and repeated rows page after page.
    for name, email in (("a", "1@x"), ("b", "3@x"), ("c", "2@x"), ("d", "4@x"), ("e", "0@x")):
        assert client.post("/ajax/authors", json={"name": name, "email": email}).status == 201
    for ordering, expected in (("", "abcde"), ("-name", "edcba")):
        params = {"ordering": ordering} if ordering else {}
        page = client.get("/ajax/authors", params=params).json()
        assert "".join(row["name"] for row in page["results"]) == expected
        seen, params = "", {**params, "limit": "2"}
        while True:
            page = client.get("/ajax/authors", params=params).json()
            seen += "".join(row["name"] for row in page["results"])
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == expected
