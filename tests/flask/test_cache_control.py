"""Rule Y2 on Flask: ``current_user`` is loaded only when read, so the cookies
Flask-Login loads it from, by their configured names, decide ``no-store``."""

from __future__ import annotations

import flask
import flask_login  # type: ignore[import-untyped]  # ships no type information
import pytest
from flask.testing import FlaskClient

from ajaxkit import Ajax
from ajaxkit.flask import AjaxKit

pytestmark = pytest.mark.flask


class User(flask_login.UserMixin):  # type: ignore[misc]  # untyped base, see the import
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def _client(login_manager: bool = True, **config: str) -> FlaskClient:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="test", **config)
    if login_manager:
        flask_login.LoginManager(app).user_loader(User)
    api = Ajax()
    api.add("hello", lambda: {"message": "hi"})  # reads no user
    AjaxKit(app, api=api)

    @app.post("/login")
    def login() -> str:
        flask_login.login_user(User("alice"), remember=True)
        return ""

    return app.test_client()


def _signed_in(client: FlaskClient, cookie: str) -> str:
    """Sign in with "remember me"; the value of the ``cookie`` it left."""
    client.post("/login")
    found = client.get_cookie(cookie)
    assert found is not None, cookie
    return found.value


def test_Y2_the_session_cookie_counts_by_its_configured_name() -> None:
    client = _client(SESSION_COOKIE_NAME="sid")
    assert _signed_in(client, "sid")
    assert client.get("/ajax/hello").headers["Cache-Control"] == "no-store"


def test_Y2_the_remember_cookie_alone_counts() -> None:
    # A returning user whose session expired: Flask-Login loads the user
    # from the remember-me cookie when current_user is first read.
    client = _client(REMEMBER_COOKIE_NAME="keep")
    remember = _signed_in(client, "keep")
    fresh = _client(REMEMBER_COOKIE_NAME="keep")
    fresh.set_cookie("keep", remember)
    assert fresh.get("/ajax/hello").headers["Cache-Control"] == "no-store"


def test_Y2_a_remember_cookie_means_nothing_without_a_login_manager() -> None:
    client = _client(login_manager=False)
    client.set_cookie("remember_token", "x")
    assert "Cache-Control" not in client.get("/ajax/hello").headers
    client.set_cookie("session", "x")
    assert client.get("/ajax/hello").headers["Cache-Control"] == "no-store"
