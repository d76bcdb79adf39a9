"""Flask-WTF: pages rendering ``csrf_token()`` keep working against ajaxkit endpoints."""

from __future__ import annotations

import flask
import pytest
from flask.testing import FlaskClient
from flask_wtf.csrf import (  # type: ignore[import-untyped]  # ships no type information
    CSRFProtect,
    generate_csrf,
)

from ajaxkit import Ajax
from ajaxkit.flask import AjaxKit, csrf_token

pytestmark = pytest.mark.flask


@pytest.fixture
def client() -> FlaskClient:
    app = flask.Flask(__name__)
    app.secret_key = "test"
    CSRFProtect(app)
    api = Ajax()
    api.add("submit", lambda: {"submitted": True}, methods=["POST"])
    AjaxKit(app, api=api)

    @app.get("/page")
    def page() -> str:
        token: str = generate_csrf()
        return token

    return app.test_client()


def test_a_flask_wtf_token_passes(client: FlaskClient) -> None:
    token = client.get("/page").get_data(as_text=True)
    response = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token})
    assert response.get_json() == {"submitted": True}


def test_without_a_token_the_refusal_is_ours(client: FlaskClient) -> None:
    client.get("/page")
    response = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "csrf_failed"


def test_ajaxkit_tokens_pass_too(client: FlaskClient) -> None:
    token = client.get("/ajax/_csrf").get_json()["token"]
    response = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_the_page_helper_hands_out_one_token_per_client() -> None:
    app = flask.Flask(__name__)
    app.secret_key = "test"
    api = Ajax()
    api.add("submit", lambda: {"submitted": True}, methods=["POST"])
    AjaxKit(app, api=api)

    @app.get("/page")
    def page() -> str:
        return csrf_token(api)

    client = app.test_client()
    first = client.get("/page")
    assert first.headers.get_all("Set-Cookie")
    token = first.get_data(as_text=True)
    again = client.get("/page")
    assert again.get_data(as_text=True) == token, "another tab's token must keep working"
    assert not again.headers.get_all("Set-Cookie")
    response = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
