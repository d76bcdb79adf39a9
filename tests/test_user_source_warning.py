"""``login_required`` with nothing that sets the user warns once, naming the missing piece.

Without it every call answers 401 forever and nothing says why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import flask
import pytest
from django.conf import settings as django_settings
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import include, path
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

import ajaxkit.core.auth
import ajaxkit.django
import ajaxkit.flask
import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.exceptions import ConfigurationWarning
from ajaxkit.testing import Client


def make_api(**settings: object) -> Ajax:
    api = Ajax(**settings)  # type: ignore[arg-type]

    @api.endpoint(login_required=True)
    def secret(request: AjaxRequest) -> str:
        return "s"

    return api


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ajaxkit.core.auth, "_WARNED", set())


def warns_once(call: Callable[[], int], missing: str) -> None:
    with pytest.warns(ConfigurationWarning, match=missing):
        assert call() == 401
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert call() == 401  # the second anonymous call is quiet


@pytest.mark.flask
def test_flask_without_flask_login() -> None:
    app = flask.Flask(__name__)
    app.register_blueprint(ajaxkit.flask.blueprint(make_api()), url_prefix="/ajax")
    client = app.test_client()
    warns_once(lambda: client.get("/ajax/secret").status_code, "Flask-Login")


@pytest.mark.starlette
def test_starlette_without_authentication_middleware() -> None:
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    client = TestClient(app)
    warns_once(lambda: client.get("/ajax/secret").status_code, "AuthenticationMiddleware")


urlpatterns = [path("ajax/", include(ajaxkit.django.urls(make_api())))]


@pytest.fixture
def django_without_auth_middleware() -> Iterator[None]:
    middleware = [m for m in django_settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
        yield


@pytest.mark.django
@pytest.mark.usefixtures("django_without_auth_middleware")
def test_django_without_authentication_middleware() -> None:
    client = DjangoClient()
    call = lambda: client.get("/ajax/secret").status_code  # noqa: E731
    warns_once(call, "django.contrib.auth.middleware.AuthenticationMiddleware")


def test_a_user_loader_or_the_reference_client_never_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Client(make_api()).get("/ajax/secret").status == 401
        app = flask.Flask(__name__)
        api = make_api(user_loader=lambda request: None)
        app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax")
        assert app.test_client().get("/ajax/secret").status_code == 401


@pytest.mark.starlette
def test_a_permission_that_allows_anonymous_callers_does_not_warn() -> None:
    api = Ajax()

    @api.endpoint(permission=lambda request: True)
    def public(request: AjaxRequest) -> str:
        return "p"

    client = TestClient(Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert client.get("/ajax/public").status_code == 200
    assert [w for w in caught if issubclass(w.category, ConfigurationWarning)] == []
