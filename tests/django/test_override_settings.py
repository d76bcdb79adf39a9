"""``override_settings`` of ajaxkit's settings reaches mounted registries and ``@ajax`` views.

They are read when ``urls(api)`` runs and on a view's first request; a
test changing them afterwards (``@override_settings(AJAXKIT={...})``,
pytest-django's ``settings`` fixture) was silently served the old values.
Django sends ``setting_changed`` for such changes, and its own caches
(and Django REST framework's ``api_settings``) are rebuilt on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint
    def broken(request: AjaxRequest) -> None:
        raise RuntimeError("boom")

    @api.endpoint(methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data

    @api.endpoint(login_required=True)
    def private(request: AjaxRequest) -> dict[str, bool]:
        return {"private": True}

    return api


@ajaxkit.django.ajax
def view_broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def signin(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the login page")


@ajaxkit.django.ajax(login_required=True)
def view_private(request: HttpRequest) -> dict[str, bool]:
    return {"private": True}


@pytest.fixture
def client() -> Iterator[Client]:
    urlpatterns[:] = [
        path("ajax/", include(ajaxkit.django.urls(_api()))),
        path("view/", view_broken),
        path("private/", view_private),  # type: ignore[arg-type]
        path("accounts/signin/", signin, name="signin"),
    ]
    with override_settings(ROOT_URLCONF=__name__):
        yield Client()
    urlpatterns.clear()


def test_overriding_ajaxkit_settings_reaches_the_mount(client: Client) -> None:
    assert "exception" not in client.get("/ajax/broken").json()
    with override_settings(AJAXKIT={"DEBUG": True}):
        assert client.get("/ajax/broken").json()["exception"]["type"] == "RuntimeError"
    assert "exception" not in client.get("/ajax/broken").json()
    with override_settings(AJAXKIT_MAX_BODY_SIZE=5):
        response = client.post("/ajax/echo", {"text": "long"}, content_type="application/json")
        assert response.status_code == 413
    response = client.post("/ajax/echo", {"text": "long"}, content_type="application/json")
    assert response.status_code == 200


def test_overriding_debug_and_login_url_reaches_the_mount(client: Client) -> None:
    with override_settings(DEBUG=True):
        assert "exception" in client.get("/ajax/broken").json()
    with override_settings(LOGIN_URL="/signin/"):
        assert client.get("/ajax/private").json()["login_url"] == "/signin/"
    assert client.get("/ajax/private").json()["login_url"] == "/accounts/login/"


def test_a_login_url_named_by_its_route_is_sent_as_its_path(client: Client) -> None:
    # LOGIN_URL = "signin" (allauth's "account_login"): Django reverses the
    # name when it redirects; the 401 problem names the same page, on the
    # mount and on an @ajax view alike.
    with override_settings(LOGIN_URL="signin"):
        assert client.get("/ajax/private").json()["login_url"] == "/accounts/signin/"
        assert client.get("/private/").json()["login_url"] == "/accounts/signin/"
    with override_settings(LOGIN_URL="no-such-route"):
        assert "login_url" not in client.get("/ajax/private").json()
        assert "login_url" not in client.get("/private/").json()


def test_overriding_ajaxkit_settings_reaches_an_ajax_view(client: Client) -> None:
    assert "exception" not in client.get("/view/").json()  # settings resolved here
    with override_settings(AJAXKIT_DEBUG=True):
        assert client.get("/view/").json()["exception"]["type"] == "RuntimeError"
    assert "exception" not in client.get("/view/").json()
