"""Rule A6 on Flask: the app's own Flask-Login ``login_required`` views answer a fetch with 401."""

from __future__ import annotations

import flask
import flask_login
import pytest
from flask.testing import FlaskClient

from ajaxkit.flask import fetch_aware_login

pytestmark = pytest.mark.flask

FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


@pytest.fixture
def client() -> FlaskClient:
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
    @flask_login.login_required
    def dashboard() -> str:
        return "secret"

    return app.test_client()


@pytest.mark.parametrize(
    "headers",
    [FETCH, {"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}],
)
def test_A6_anonymous_fetch_gets_401_with_login_url(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.get("/dashboard", headers=headers)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "not_authenticated"
    assert body["login_url"].startswith("/login?next=")


def test_A6_navigation_still_redirects(client: FlaskClient) -> None:
    headers = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
    response = client.get("/dashboard", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
