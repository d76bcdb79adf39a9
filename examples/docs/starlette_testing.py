"""docs/starlette.md, "Testing": the quickstart through ajaxkit's client and Starlette's."""

from __future__ import annotations

# --8<-- [start:testing]
from starlette.authentication import SimpleUser
from starlette.testclient import TestClient

from ajaxkit.testing import Client
from examples.starlette_quickstart.app import api, app


def test_endpoints_without_starlette() -> None:
    client = Client(api)  # no app, no middleware: the endpoints themselves
    assert client.post("/ajax/notes/create", json={"title": "Milk"}).status == 401
    client.login(SimpleUser("demo"))
    assert client.post("/ajax/notes/create", json={"title": "Milk"}).status == 201


def test_through_starlette() -> None:
    client = TestClient(app)
    token = {"Authorization": "Bearer demo-token"}
    response = client.post("/ajax/notes/create", json={"title": "Milk"}, headers=token)
    assert response.json()["author"] == "demo"


# --8<-- [end:testing]
