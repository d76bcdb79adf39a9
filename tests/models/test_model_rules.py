"""A Django model's own field rules hold for what clients write; SQLAlchemy
models have none beyond their column types, so the same writes pass there."""

from __future__ import annotations

from typing import Any

from tests.models.backends import Backend


def _django(backend: Backend) -> bool:
    return backend.name.startswith("django")


def test_blank_false_refuses_an_empty_string(client: Any, backend: Backend) -> None:
    response = client.post("/ajax/notes", json={"title": ""})
    if not _django(backend):
        assert response.status == 201
        return
    assert response.status == 422
    assert response.json()["errors"] == [
        {"pointer": "#/title", "detail": "This field cannot be blank.", "code": "blank"}
    ]
    assert client.get("/ajax/notes").json()["count"] == 0


def test_blank_false_holds_on_update(client: Any, backend: Backend) -> None:
    note = client.post("/ajax/notes", json={"title": "kept"}).json()
    url = f"/ajax/notes/{note['id']}"
    for response in (
        client.patch(url, json={"title": ""}),
        client.put(url, json={"title": ""}),
    ):
        assert response.status == (422 if _django(backend) else 200)
    if _django(backend):
        assert client.get(url).json()["title"] == "kept"


def test_field_validators_run(client: Any, backend: Backend) -> None:
    response = client.post("/ajax/tags", json={"slug": "not a slug", "label": "L"})
    if not _django(backend):
        assert response.status == 201
        return
    assert response.status == 422
    [error] = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("#/slug", "invalid")
    assert error["detail"].startswith("Enter a valid “slug”")
    assert client.get("/ajax/tags/not%20a%20slug").status == 404
