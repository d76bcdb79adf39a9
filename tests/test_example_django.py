"""The Django quickstart (examples/django_quickstart/app.py) works as shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import override_settings

pytestmark = pytest.mark.django

QUICKSTART = "examples.django_quickstart.app"


@pytest.fixture
def client() -> Any:
    with override_settings(ROOT_URLCONF=QUICKSTART):
        yield Client()


def test_hello(client: Client) -> None:
    assert client.get("/ajax/hello").json() == {"message": "Hello, World!"}


def test_search_binds_typed_query_parameters(client: Client) -> None:
    for name in ("ann", "anna", "bob"):
        User.objects.get_or_create(username=name)
    response = client.get("/ajax/users/search", {"q": "ann", "limit": "1"})
    assert response.json() == {"results": ["ann"]}
    assert client.get("/ajax/users/search", {"limit": "many"}).status_code == 422


def test_async_post_needs_login(client: Client) -> None:
    assert (
        client.post("/ajax/notes", {"text": "hi"}, content_type="application/json").status_code
        == 401
    )
    client.force_login(User.objects.get_or_create(username="eve")[0])
    response = client.post("/ajax/notes", {"text": "hi"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"author": "eve", "text": "hi"}


def test_notes_post_with_the_csrf_token_the_quickstart_hands_out() -> None:
    with override_settings(ROOT_URLCONF=QUICKSTART):
        browser = Client(enforce_csrf_checks=True)
        note = {"text": "hi"}
        refused = browser.post("/ajax/notes", note, content_type="application/json")
        assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
        token = browser.get("/ajax/csrf").json()["csrfToken"]
        assert "csrftoken" in browser.cookies
        headers = {"X-CSRFToken": token}
        anonymous = browser.post(
            "/ajax/notes", note, content_type="application/json", headers=headers
        )
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
        browser.force_login(User.objects.get_or_create(username="eve")[0])
        token = browser.get("/ajax/csrf").json()["csrfToken"]  # login rotates the token
        created = browser.post(
            "/ajax/notes", note, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert created.status_code == 201
