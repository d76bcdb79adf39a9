"""The app's own hooks around the mount: what they raise reaches a fetch as a problem."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from werkzeug import exceptions

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.flask import blueprint

pytestmark = pytest.mark.flask


def _app(hook: Any) -> flask.Flask:
    api = Ajax()

    @api.endpoint
    def hello(request: AjaxRequest) -> dict[str, str]:
        return {"message": "hi"}

    app = flask.Flask(__name__)
    app.before_request(hook)
    app.register_blueprint(blueprint(api), url_prefix="/ajax")

    @app.route("/page")
    def page() -> str:
        return "page"

    return app


def test_an_abort_in_an_app_before_request_hook_is_a_problem() -> None:
    # An API-key check, a maintenance switch, an IP block: the hook runs
    # before the view, outside ajaxkit's error handling, and werkzeug's
    # HTML page reached the fetch.
    def hook() -> None:
        flask.abort(401)

    response = _app(hook).test_client().get("/ajax/hello")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "not_authenticated"


def test_a_hook_s_detail_and_headers_are_kept() -> None:
    def hook() -> None:
        raise exceptions.ServiceUnavailable("Down for maintenance.", retry_after=60)

    response = _app(hook).test_client().get("/ajax/hello")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.get_json()["detail"] == "Down for maintenance."
    assert response.headers["Retry-After"] == "60"


def test_the_app_s_own_routes_keep_flask_s_answer() -> None:
    def hook() -> None:
        flask.abort(403)

    response = _app(hook).test_client().get("/page")
    assert response.status_code == 403
    assert response.content_type == "text/html; charset=utf-8"


def test_a_hook_s_redirect_is_left_to_the_app() -> None:
    # A returned response (not an exception) is the app's answer: ajaxkit
    # does not rewrite it (docs/flask.md says what to do for a login).
    def hook() -> Any:
        return flask.redirect("/login")

    response = _app(hook).test_client().get("/ajax/hello")
    assert response.status_code == 302


def test_a_crash_in_an_app_before_request_hook_is_a_logged_500_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A session loader whose database is down: Flask answered the fetch
    # with its HTML 500 page, or the app's errorhandler(Exception) page.
    def hook() -> None:
        raise RuntimeError("database down")

    app = _app(hook)

    @app.errorhandler(Exception)
    def html_page(exc: Exception) -> tuple[str, int]:
        return "<h1>Oops</h1>", 500

    signalled: list[BaseException] = []

    def receiver(sender: flask.Flask, exception: BaseException, **extra: Any) -> None:
        signalled.append(exception)

    with flask.got_request_exception.connected_to(receiver, app):
        response = app.test_client().get("/ajax/hello")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert [str(exc) for exc in signalled] == ["database down"]  # error trackers see it
    problem = response.get_json()
    assert problem["code"] == "internal_error"
    assert problem["instance"].removeprefix("urn:uuid:") in caplog.text
    assert app.test_client().get("/page").data == b"<h1>Oops</h1>"


def test_the_app_s_handler_for_the_status_does_not_answer_under_the_mount() -> None:
    # A maintenance switch and its page: Flask picks a handler registered
    # for the status over one registered for a class, whoever registered it.
    def hook() -> None:
        flask.abort(503)

    app = _app(hook)

    @app.errorhandler(503)
    def maintenance_page(exc: Exception) -> tuple[str, int]:
        return "<h1>Back soon</h1>", 503

    response = app.test_client().get("/ajax/hello")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "service_unavailable"
    assert app.test_client().get("/page").data == b"<h1>Back soon</h1>"
