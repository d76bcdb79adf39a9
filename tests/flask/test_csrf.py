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
from ajaxkit.flask import AjaxKit, ajax, csrf_token

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


# -- @ajax views in an app with CSRFProtect: the check is ajaxkit's, as on the mount --


def protected_app() -> flask.Flask:
    """``CSRFProtect`` on every view; ``@ajax`` views among the app's own."""
    app = flask.Flask(__name__)
    app.secret_key = "test"
    CSRFProtect(app)

    @app.post("/notes")
    @ajax(methods=["POST"])
    def notes(text: str = "") -> dict[str, str]:
        return {"text": text}

    @app.post("/hook")
    @ajax(methods=["POST"], csrf_exempt=True)
    def hook() -> dict[str, bool]:
        return {"hooked": True}

    @app.post("/form")
    def form() -> str:  # the app's own view: Flask-WTF's to guard
        return "saved"

    @app.get("/page")
    def page() -> str:
        token: str = generate_csrf()
        return token

    return app


SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}


def test_a_same_origin_fetch_to_an_ajax_view_passes() -> None:
    # Flask-WTF answered it with its HTML 400 "The CSRF token is missing.":
    # a page's own fetch() failed in every app that has CSRFProtect.
    response = (
        protected_app().test_client().post("/notes", json={"text": "hi"}, headers=SAME_ORIGIN)
    )
    assert (response.status_code, response.get_json()) == (200, {"text": "hi"})


def test_a_cross_site_post_to_an_ajax_view_is_refused_by_ajaxkit() -> None:
    response = protected_app().test_client().post("/notes", json={}, headers=CROSS_SITE)
    assert response.status_code == 403
    assert response.get_json()["code"] == "csrf_failed"


def test_a_flask_wtf_token_passes_an_ajax_view() -> None:
    client = protected_app().test_client()
    token = client.get("/page").get_data(as_text=True)
    response = client.post("/notes", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_an_ajax_view_exempted_with_the_option_is_exempt() -> None:
    response = protected_app().test_client().post("/hook", json={}, headers=CROSS_SITE)
    assert (response.status_code, response.get_json()) == (200, {"hooked": True})


def test_the_apps_own_views_stay_guarded_by_flask_wtf() -> None:
    response = protected_app().test_client().post("/form", data={}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert b"CSRF token is missing" in response.data


def test_an_app_view_sharing_an_ajax_views_name_stays_guarded() -> None:
    # Flask-WTF exempts by module and name: exempting the @ajax view would
    # have exempted the app's own view of the same name with it.
    app = flask.Flask(__name__)
    app.secret_key = "test"
    CSRFProtect(app)

    @app.post("/notes", endpoint="ajax_notes")
    @ajax(methods=["POST"])
    def notes() -> dict[str, bool]:
        return {"saved": True}

    app.add_url_rule("/plain", "plain_notes", _plain_notes, methods=["POST"])
    response = app.test_client().post("/plain", data={}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert b"CSRF token is missing" in response.data


def notes() -> str:
    return "saved"


_plain_notes = notes


@pytest.mark.parametrize("order", ["above", "below"])
def test_flask_wtfs_csrf_exempt_exempts_an_ajax_view(order: str) -> None:
    # The user's exemption, written the Flask-WTF way (a webhook): it once
    # passed Flask-WTF and met ajaxkit's 403.
    app = flask.Flask(__name__)
    app.secret_key = "test"
    csrf = CSRFProtect(app)

    def webhook() -> dict[str, bool]:
        return {"hooked": True}

    if order == "above":
        view = csrf.exempt(ajax(methods=["POST"])(webhook))
    else:
        view = ajax(methods=["POST"])(csrf.exempt(webhook))
    app.add_url_rule("/hook", view_func=view, methods=["POST"])
    other = flask.Flask(__name__)  # the same view, in an app that did not exempt it
    other.secret_key = "test"
    CSRFProtect(other)
    other.add_url_rule("/hook", view_func=view, methods=["POST"])
    response = app.test_client().post("/hook", json={}, headers=CROSS_SITE)
    assert (response.status_code, response.get_json()) == (200, {"hooked": True})
    refused = other.test_client().post("/hook", json={}, headers=CROSS_SITE)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "csrf_failed")


# -- ajaxkit's own tokens: one signer per app, for the mount and the @ajax views --


def token_app(secret: str, api: Ajax | None = None) -> tuple[flask.Flask, Ajax]:
    """A mount, an ``@ajax`` view and a page handing out ajaxkit's token."""
    app = flask.Flask(__name__)
    app.secret_key = secret
    api = api or Ajax()
    if "submit" not in {endpoint.route for endpoint in api.endpoints()}:
        api.add("submit", lambda: {"submitted": True}, methods=["POST"])
    AjaxKit(app, api=api)

    @app.post("/own")
    @ajax(methods=["POST"])
    def own() -> dict[str, bool]:
        return {"own": True}

    @app.get("/page")
    def page() -> str:
        return csrf_token(api)

    return app, api


@pytest.mark.parametrize("source", ["/ajax/_csrf", "/page"])
def test_the_mounts_token_passes_the_apps_ajax_views(source: str) -> None:
    # The mount signed with itsdangerous, the @ajax views checked HMAC:
    # a client without Sec-Fetch-Site got a 403 "signature is invalid"
    # from the app's own views for the token the docs tell it to fetch.
    client = token_app("test")[0].test_client()
    answer = client.get(source)
    token = answer.get_json()["token"] if source == "/ajax/_csrf" else answer.get_data(as_text=True)
    for url in ("/ajax/submit", "/own"):
        response = client.post(url, json={}, headers={"X-CSRFToken": token})
        assert response.status_code == 200, (url, response.get_json())


def test_each_app_signs_with_its_own_secret_key() -> None:
    # The first app's key stuck to the registry: a second app (an app
    # factory's next test, a rotated key) signed and accepted with it.
    # The registry's settings are the last registration's (docs/flask.md).
    api = Ajax()
    first, _ = token_app("first-key", api)
    token = first.test_client().get("/ajax/_csrf").get_json()["token"]
    second, _ = token_app("second-key", api)
    client = second.test_client()
    client.set_cookie("ajaxkit_csrf", token)
    refused = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token})
    assert (refused.status_code, refused.get_json()["code"]) == (403, "csrf_failed")
    fresh = client.get("/ajax/_csrf").get_json()["token"]
    for url in ("/ajax/submit", "/own"):
        response = client.post(url, json={}, headers={"X-CSRFToken": fresh})
        assert response.status_code == 200, (url, response.get_json())


def test_tokens_signed_with_a_fallback_key_still_pass() -> None:
    # Rotating SECRET_KEY with the old one in SECRET_KEY_FALLBACKS keeps
    # Flask's sessions valid; every open page's ajaxkit token failed.
    api = Ajax()
    old, _ = token_app("old-key", api)
    token = old.test_client().get("/ajax/_csrf").get_json()["token"]
    new = flask.Flask(__name__)
    new.config.update(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["older-key", "old-key"])
    AjaxKit(new, api=api)

    @new.post("/own")
    @ajax(methods=["POST"])
    def own() -> dict[str, bool]:
        return {"own": True}

    client = new.test_client()
    client.set_cookie("ajaxkit_csrf", token)
    for url in ("/ajax/submit", "/own"):
        response = client.post(url, json={}, headers={"X-CSRFToken": token})
        assert response.status_code == 200, (url, response.get_json())
    fresh = new.test_client().get("/ajax/_csrf").get_json()["token"]
    again, _ = token_app("old-key", api)  # the new key signs: the old alone refuses it
    client = again.test_client()
    client.set_cookie("ajaxkit_csrf", fresh)
    refused = client.post("/ajax/submit", json={}, headers={"X-CSRFToken": fresh})
    assert refused.status_code == 403
