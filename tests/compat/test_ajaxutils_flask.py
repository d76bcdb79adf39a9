"""django-ajaxutils' decorator on Flask views (profile 1 of issue 4)."""

from __future__ import annotations

import logging
from typing import NoReturn

import flask
import pytest
from flask.testing import FlaskClient

from ajaxkit.compat.ajaxutils import ajax

pytestmark = pytest.mark.flask


def make_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.route("/task")
    @ajax
    def task() -> dict[str, str]:
        return {"status": "completed"}

    @app.route("/items/<int:pk>")
    @ajax(require_POST=True)
    def item(pk: int) -> tuple[dict[str, int], int]:
        return {"pk": pk}, 201

    @app.route("/missing")
    @ajax()
    def missing() -> NoReturn:
        flask.abort(404)

    @app.route("/bad")
    @ajax()
    def bad() -> flask.Response:
        return flask.Response("My error message", status=400)

    @app.route("/gone")
    @ajax()
    def gone() -> flask.Response:
        return flask.Response("No such task", status=404)

    # Flask's route() refuses a view returning None; @ajax answers it, but is
    # typed as returning the function it decorates.
    @app.route("/nothing")  # type: ignore[type-var]
    @ajax
    def nothing() -> None:
        return None

    @app.route("/boom")
    @ajax()
    def boom() -> NoReturn:
        raise RuntimeError("secret")

    return app


@pytest.fixture
def client() -> flask.testing.FlaskClient:
    client = make_app().test_client()
    # A page's own fetch(): the browser marks it same-origin (CSRF policy).
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


def test_success_and_url_arguments(client: FlaskClient) -> None:
    assert client.get("/task").get_json() == {"status": "completed"}
    response = client.post("/items/3")
    assert (response.status_code, response.get_json()) == (201, {"pk": 3})


def test_wrong_method(client: FlaskClient) -> None:
    response = client.get("/items/3")
    assert response.status_code == 405
    assert response.get_json() == {"status": "error", "error": "Method not allowed"}
    assert response.headers["Allow"] == "OPTIONS, POST"


def test_abort_404(client: FlaskClient) -> None:
    response = client.get("/missing")
    assert (response.status_code, response.get_json()) == (
        404,
        {"status": "error", "error": "Not found"},
    )


def test_error_response_becomes_envelope(client: FlaskClient) -> None:
    response = client.get("/bad")
    assert response.get_json() == {"status": "error", "error": "My error message"}


def test_a_returned_404_response_keeps_its_text(client: FlaskClient) -> None:
    response = client.get("/gone")
    assert (response.status_code, response.get_json()) == (
        404,
        {"status": "error", "error": "No such task"},
    )


def test_exception_is_json_500(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):
        response = client.get("/boom")
    assert (response.status_code, response.get_json()) == (
        500,
        {"status": "error", "error": "Internal server error"},
    )


def test_none_is_200_null_as_the_original_answered(client: flask.testing.FlaskClient) -> None:
    response = client.get("/nothing")
    assert (response.status_code, response.content_type) == (200, "application/json")
    assert response.data == b"null"


def test_ajax_above_app_route_is_refused_naming_the_view() -> None:
    """As with ajaxkit's own @ajax: in the other order Flask would serve the
    view as written, without the login check, and nothing would say so."""
    from ajaxkit import RegistrationError

    app = flask.Flask(__name__)
    app.testing = True

    @ajax(login_required=True)
    @app.route("/secret")
    def secret() -> dict[str, str]:
        return {"secret": "exposed"}

    with pytest.raises(RegistrationError, match=r"Flask endpoint 'secret' serves .*\.secret "):
        app.test_client().get("/secret")
