"""The Flask quickstart, run through Flask's test client."""

from __future__ import annotations

import pytest

from examples.flask_quickstart.app import app

pytestmark = pytest.mark.flask


def test_hello() -> None:
    response = app.test_client().get("/ajax/hello")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Hello, World!"}


def test_search_binds_query_parameters() -> None:
    client = app.test_client()
    assert client.get("/ajax/users/search?q=a&limit=1").get_json() == [{"id": 1, "name": "Ada"}]
    invalid = client.get("/ajax/users/search?limit=lots")
    assert invalid.status_code == 422
    assert invalid.get_json()["errors"][0]["parameter"] == "limit"


def test_user_not_found_is_a_problem() -> None:
    client = app.test_client()
    assert client.get("/ajax/users/3").get_json() == {"id": 3, "name": "Grace"}
    missing = client.get("/ajax/users/9")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert missing.get_json()["detail"] == "No user 9."
