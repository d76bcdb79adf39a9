"""The Starlette and FastAPI quickstarts (quoted in the README) run as documented.

The two are the same app mounted two ways, so one set of tests runs against
each.
"""

from __future__ import annotations

import importlib

import pytest
from starlette.testclient import TestClient

TOKEN = {"Authorization": "Bearer demo-token"}


@pytest.fixture(
    params=[
        pytest.param("starlette", marks=pytest.mark.starlette),
        pytest.param("fastapi", marks=pytest.mark.fastapi),
    ]
)
def client(request: pytest.FixtureRequest) -> TestClient:
    module = importlib.import_module(f"examples.{request.param}_quickstart.app")
    return TestClient(module.app)


def test_hello(client: TestClient) -> None:
    response = client.get("/ajax/hello")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, World!"}


def test_create_note_needs_login(client: TestClient) -> None:
    response = client.post("/ajax/notes/create", json={"title": "Buy milk"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    # The challenge names the scheme the app authenticates with.
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="notes"'


def test_create_note_from_json_and_form(client: TestClient) -> None:
    response = client.post(
        "/ajax/notes/create", json={"title": "Buy milk", "tags": ["home"]}, headers=TOKEN
    )
    assert response.status_code == 201
    assert response.json() == {"id": 7, "title": "Buy milk", "tags": ["home"], "author": "demo"}
    form = client.post(
        "/ajax/notes/create",
        content=b"title=Milk&tags=a&tags=b",
        headers={**TOKEN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.json()["tags"] == ["a", "b"]


def test_missing_title_is_422(client: TestClient) -> None:
    response = client.post("/ajax/notes/create", json={}, headers=TOKEN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/title"


def test_get_note_and_404(client: TestClient) -> None:
    assert client.get("/ajax/notes/7").json() == {"id": 7, "title": "Buy milk"}
    response = client.get("/ajax/notes/8")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no note 8."
