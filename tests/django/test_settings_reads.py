"""The Django settings ajaxkit reads on every request: read once, again when they change.

Each read through ``django.conf.settings`` costs a request ~3,000 CPU
instructions (``LazyObject.__getattribute__`` in Python, and a failed
attribute lookup inside it); a CSRF-checked POST read five of them. They
are remembered, and forgotten when Django says a setting changed
(``setting_changed``, sent by ``override_settings`` and pytest-django's
``settings``), as Django's own caches are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from tests.django.test_urls import _api  # the same two endpoints: hello, echo

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []


@pytest.fixture
def client() -> Iterator[Client]:
    urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(_api())))]
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(enforce_csrf_checks=True)
    urlpatterns.clear()


@pytest.fixture
def ajaxkit_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The settings read through ``django.conf.settings`` by ajaxkit's own code
    (not Django's middleware) from now on."""
    reads: list[str] = []
    lazy = type(settings)
    original = lazy.__getattribute__

    def counting(self: Any, name: str) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if name.isupper() and caller.startswith("ajaxkit"):
            reads.append(name)
        return original(self, name)

    monkeypatch.setattr(lazy, "__getattribute__", counting)
    return reads


def _token(client: Client) -> str:
    token: str = client.get("/ajax/_csrf").json()["token"]
    return token


def _fetch(client: Client, token: str) -> Any:
    return client.post(
        "/ajax/echo",
        {"a": 1},
        content_type="application/json",
        headers={
            "X-CSRFToken": token,
            "Origin": "http://testserver",
            "Sec-Fetch-Site": "same-origin",
        },
    )


def test_a_checked_post_and_a_get_read_no_setting_once_warm(
    client: Client, ajaxkit_reads: list[str]
) -> None:
    token = _token(client)
    assert _fetch(client, token).status_code == 200  # warm: the settings are read here
    assert client.get("/ajax/hello").status_code == 200
    ajaxkit_reads.clear()
    assert _fetch(client, token).json() == {"a": 1}
    assert client.get("/ajax/hello").status_code == 200
    assert ajaxkit_reads == [], ajaxkit_reads


def test_a_changed_setting_is_read_again(client: Client) -> None:
    token = _token(client)
    assert _fetch(client, token).status_code == 200
    with override_settings(CSRF_HEADER_NAME="HTTP_X_OTHER"):
        refused = _fetch(client, token)
        assert refused.status_code == 403
        assert "X-Other" in refused.json()["detail"]
    assert _fetch(client, token).status_code == 200
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://shop.example"]):
        assert _from_shop(client, token).status_code == 200
    assert _from_shop(client, token).status_code == 403


def _from_shop(client: Client, token: str) -> Any:
    headers = {"X-CSRFToken": token, "Origin": "https://shop.example"}
    return client.post("/ajax/echo", {"a": 1}, content_type="application/json", headers=headers)


@override_settings(SESSION_COOKIE_NAME="sid")
def test_the_session_cookie_name_follows_the_setting(client: Client) -> None:
    assert client.get("/ajax/hello", headers={"Cookie": "sid=abc"})["Cache-Control"] == "no-store"
    with override_settings(SESSION_COOKIE_NAME="other"):
        response = client.get("/ajax/hello", headers={"Cookie": "sid=abc"})
        assert "Cache-Control" not in response
        response = client.get("/ajax/hello", headers={"Cookie": "other=abc"})
        assert response["Cache-Control"] == "no-store"
