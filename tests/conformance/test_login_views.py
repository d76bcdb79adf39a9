"""Rule A7: the project's own ``login_required`` views answer an anonymous fetch with 401.

Django (``FetchAwareLoginMiddleware``) and Flask-Login
(``fetch_aware_login``) only: these are the two frameworks whose
``login_required`` redirects.  A navigation still gets the redirect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType

import flask
import flask_login  # type: ignore[import-untyped]  # ships no type information
import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import path
from flask.testing import FlaskClient

from ajaxkit.flask import fetch_aware_login

FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}
FETCHES = [FETCH, {"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}]


# --- Django -------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@login_required
async def adashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


def _urlconf() -> ModuleType:
    module = ModuleType("fetch_login_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("dashboard/", dashboard),
        path("adashboard/", adashboard),
    ]
    return module


@pytest.fixture
def django_project() -> Iterator[None]:
    middleware = [*settings.MIDDLEWARE, "ajaxkit.django.FetchAwareLoginMiddleware"]
    with override_settings(MIDDLEWARE=middleware, ROOT_URLCONF=_urlconf()):
        yield


@pytest.mark.django
@pytest.mark.usefixtures("django_project")
@pytest.mark.parametrize("headers", FETCHES)
def test_A7_django_anonymous_fetch_gets_401_with_login_url(headers: dict[str, str]) -> None:
    response = DjangoClient().get("/dashboard/", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["login_url"] == "/accounts/login/?next=/dashboard/"


@pytest.mark.django
@pytest.mark.usefixtures("django_project")
def test_A7_django_navigation_still_redirects() -> None:
    response = DjangoClient().get("/dashboard/", headers=NAVIGATION)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


@pytest.mark.django
@pytest.mark.usefixtures("django_project")
def test_A7_django_async_stack_answers_the_same() -> None:
    async def fetch() -> int:
        response = await AsyncClient().get("/adashboard/", headers=FETCH)
        return response.status_code

    assert asyncio.run(fetch()) == 401


# --- Flask-Login --------------------------------------------------------------


@pytest.fixture
def flask_client() -> FlaskClient:
    app = flask.Flask(__name__)
    app.secret_key = "test"
    manager = flask_login.LoginManager(app)
    manager.user_loader(lambda user_id: None)
    manager.login_view = "login"
    fetch_aware_login(manager)

    @app.get("/login")
    def login() -> str:
        return "<form>"

    @app.get("/dashboard")
    @flask_login.login_required  # type: ignore[untyped-decorator]  # see the import
    def dashboard() -> str:
        return "secret"

    return app.test_client()


@pytest.mark.flask
@pytest.mark.parametrize("headers", FETCHES)
def test_A7_flask_anonymous_fetch_gets_401_with_login_url(
    flask_client: FlaskClient, headers: dict[str, str]
) -> None:
    response = flask_client.get("/dashboard", headers=headers)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "not_authenticated"
    assert body["login_url"].startswith("/login?next=")


@pytest.mark.flask
def test_A7_flask_navigation_still_redirects(flask_client: FlaskClient) -> None:
    response = flask_client.get("/dashboard", headers=NAVIGATION)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
