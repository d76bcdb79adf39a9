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
from django.contrib.auth.decorators import login_required, user_passes_test
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.test import AsyncClient
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import path
from django.views import View
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


@login_required(login_url="/other/login/")
def other_dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


def _signed_in(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated


@user_passes_test(_signed_in, login_url="/staff/login/", redirect_field_name="back")
def staff(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@login_required(login_url="https://sso.example.com/login/")
def sso_dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


class Reports(LoginRequiredMixin, View):
    login_url = "/reports/login/"
    redirect_field_name = "return_to"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secret")


def by_hand(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_to_login(request.get_full_path(), "/hand/login/")


def elsewhere(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/moved/?next=/somewhere-else/")


def paged(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/paged/?page=2&from={request.get_full_path()}")


def _urlconf() -> ModuleType:
    module = ModuleType("fetch_login_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("dashboard/", dashboard),
        path("adashboard/", adashboard),
        path("other-dashboard/", other_dashboard),
        path("staff/", staff),
        path("sso-dashboard/", sso_dashboard),
        path("reports/", Reports.as_view()),
        path("by-hand/", by_hand),
        path("elsewhere/", elsewhere),
        path("paged/", paged),
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


OWN_LOGIN_URLS = [
    ("/other-dashboard/?tab=2", "/other/login/?next=/other-dashboard/%3Ftab%3D2"),
    ("/staff/", "/staff/login/?back=/staff/"),
    ("/sso-dashboard/", "https://sso.example.com/login/?next=http%3A//testserver/sso-dashboard/"),
    ("/reports/", "/reports/login/?return_to=/reports/"),
    ("/by-hand/", "/hand/login/?next=/by-hand/"),
]


@pytest.mark.django
@pytest.mark.usefixtures("django_project")
@pytest.mark.parametrize(("url", "login_url"), OWN_LOGIN_URLS)
def test_A7_django_view_with_its_own_login_url_gets_401(url: str, login_url: str) -> None:
    fetched = DjangoClient().get(url, headers=FETCH)
    navigated = DjangoClient().get(url, headers=NAVIGATION)
    assert fetched.status_code == 401
    assert fetched.json()["login_url"] == login_url
    assert navigated.status_code == 302
    assert navigated["Location"] == login_url


@pytest.mark.django
@pytest.mark.usefixtures("django_project")
@pytest.mark.parametrize("url", ["/elsewhere/", "/paged/?page=1"])
def test_A7_django_other_redirects_reach_a_fetch_unchanged(url: str) -> None:
    response = DjangoClient().get(url, headers=FETCH)
    assert response.status_code == 302


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

    app.register_blueprint(_blueprint("shop", login="signin"))
    app.register_blueprint(_blueprint("kiosk", login=None))
    manager.blueprint_login_views.update({"shop": "shop.signin", "kiosk": None})
    return app.test_client()


def _blueprint(name: str, login: str | None) -> flask.Blueprint:
    blueprint = flask.Blueprint(name, __name__, url_prefix=f"/{name}")

    @blueprint.get("/signin")
    def signin() -> str:
        return "<form>"

    @blueprint.get("/cart")
    @flask_login.login_required  # type: ignore[untyped-decorator]  # see the import
    def cart() -> str:
        return "secret"

    return blueprint


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


@pytest.mark.flask
def test_A7_flask_blueprint_login_view_is_the_login_url(flask_client: FlaskClient) -> None:
    fetched = flask_client.get("/shop/cart", headers=FETCH)
    navigated = flask_client.get("/shop/cart", headers=NAVIGATION)
    assert fetched.status_code == 401
    assert fetched.get_json()["login_url"] == "/shop/signin?next=%2Fshop%2Fcart"
    assert navigated.status_code == 302
    assert navigated.headers["Location"] == "/shop/signin?next=%2Fshop%2Fcart"


@pytest.mark.flask
def test_A7_flask_blueprint_without_login_view_names_no_login_url(
    flask_client: FlaskClient,
) -> None:
    fetched = flask_client.get("/kiosk/cart", headers=FETCH)
    navigated = flask_client.get("/kiosk/cart", headers=NAVIGATION)
    assert fetched.status_code == 401
    assert "login_url" not in fetched.get_json()
    assert navigated.status_code == 401
