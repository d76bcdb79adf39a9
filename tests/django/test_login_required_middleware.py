"""Django's ``LoginRequiredMiddleware`` (5.1) in front of the mount (docs/django.md, "Auth").

It guards the mount as one view: every endpoint needs a signed-in user.
With ``FetchAwareLoginMiddleware`` after it, an anonymous fetch gets the
401 problem instead of the redirect; a registry marked
``login_not_required`` stays public, its own ``login_required`` deciding.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "ajaxkit.django.FetchAwareLoginMiddleware",
]
#: What a browser's fetch() sends and a navigation does not.
FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint
    def hello(request: AjaxRequest) -> dict[str, str]:
        return {"message": "hi"}

    @api.endpoint(login_required=True)
    def private(request: AjaxRequest) -> dict[str, str]:
        return {"message": "hi"}

    return api


def _public(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns


@pytest.fixture(autouse=True)
def _mount() -> Any:
    urlpatterns[:] = [
        path("ajax/", include(ajaxkit.django.urls(_api()))),
        path("public/", include(_public(ajaxkit.django.urls(_api())))),
    ]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=MIDDLEWARE):
        yield


def test_an_anonymous_fetch_to_the_mount_is_a_401_problem() -> None:
    response = Client().get("/ajax/hello", headers=FETCH)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["login_url"] == "/accounts/login/?next=/ajax/hello"


def test_a_navigation_keeps_the_redirect() -> None:
    response = Client().get("/ajax/hello")
    assert response.status_code == 302


def test_a_mount_marked_login_not_required_keeps_its_own_rules() -> None:
    client = Client()
    assert client.get("/public/hello", headers=FETCH).json() == {"message": "hi"}
    private = client.get("/public/private", headers=FETCH)
    assert private.status_code == 401
    assert private.json()["code"] == "not_authenticated"
