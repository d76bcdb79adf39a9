"""``@ajax`` on plain Flask views, through Flask's own test client."""

from __future__ import annotations

import asyncio
from typing import Any, NoReturn

import flask
import flask_login  # type: ignore[import-untyped]  # ships no type information
import pytest
from flask.testing import FlaskClient

from ajaxkit import Conflict
from ajaxkit.flask import ajax

pytestmark = pytest.mark.flask


class User(flask_login.UserMixin):  # type: ignore[misc]  # untyped base, see the import
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def is_admin(request: Any) -> bool:
    return getattr(request.user, "id", None) == "admin"


def create_app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(User)
    login_manager.login_view = "login"  # must not turn 401 into a redirect

    @app.post("/login/<user_id>")
    def login(user_id: str) -> str:
        flask_login.login_user(User(user_id))
        return ""

    @app.route("/notes/<int:pk>")
    @ajax(methods=["GET", "DELETE"])
    def note(pk: int) -> Any:
        return {"pk": pk, "q": flask.request.args.get("q"), "method": flask.request.method}

    @app.route("/async/<name>")
    @ajax
    async def greet(name: str) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"hello": name, "path": flask.request.path}

    @app.route("/private")
    @ajax(login_required=True)
    def private() -> dict[str, str]:
        return {"user": flask_login.current_user.id}

    @app.route("/admin")
    @ajax(permission=is_admin)
    def admin() -> dict[str, bool]:
        return {"admin": True}

    @app.route("/created", methods=["POST"])
    @ajax(methods=["POST"])
    def created() -> Any:
        return {"got": flask.request.get_json()}, 201, {"X-Made": "1"}

    @app.route("/native")
    @ajax
    def native() -> flask.Response:
        return flask.Response("plain", status=418, content_type="text/plain")

    @app.route("/missing/<int:pk>")
    @ajax
    def missing(pk: int) -> NoReturn:
        if pk == 1:
            flask.abort(404)
        flask.abort(404, f"No note {pk}.")

    # Flask's route() refuses a view returning None; @ajax answers it with 204,
    # but is typed as returning the function it decorates.
    @app.route("/nothing")  # type: ignore[type-var]
    @ajax
    def nothing() -> None:
        return None

    @app.route("/conflict")
    @ajax
    def conflict() -> NoReturn:
        raise Conflict("Taken.")

    return app


@pytest.fixture
def client() -> FlaskClient:
    client = create_app().test_client()
    # A page's own fetch(): the browser marks it same-origin (CSRF policy).
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


def test_sync_view_keeps_url_kwargs_and_flask_request(client: FlaskClient) -> None:
    response = client.get("/notes/7?q=milk")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {"pk": 7, "q": "milk", "method": "GET"}
    assert client.delete("/notes/7").get_json()["method"] == "DELETE"


def test_async_view(client: FlaskClient) -> None:
    assert client.get("/async/ada").get_json() == {"hello": "ada", "path": "/async/ada"}


def test_view_name_stays_the_flask_endpoint(client: FlaskClient) -> None:
    assert flask.url_for.__name__  # the app resolves views by their own names
    with client.application.test_request_context():
        assert flask.url_for("note", pk=3) == "/notes/3"


def test_login_required_is_401_never_redirect(client: FlaskClient) -> None:
    response = client.get("/private")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"]
    assert "Location" not in response.headers
    client.post("/login/alice")
    assert client.get("/private").get_json() == {"user": "alice"}


def test_permission_false_is_403(client: FlaskClient) -> None:
    client.post("/login/alice")
    assert client.get("/admin").status_code == 403
    client.post("/login/admin")
    assert client.get("/admin").get_json() == {"admin": True}


def test_methods_give_405_with_allow_and_options(client: FlaskClient) -> None:
    response = client.post("/notes/7")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS"
    options = client.options("/notes/7")
    assert options.status_code == 204
    assert options.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS"


def test_tuple_sets_status_and_headers(client: FlaskClient) -> None:
    response = client.post("/created", json={"a": 1})
    assert response.status_code == 201
    assert response.headers["X-Made"] == "1"
    assert response.get_json() == {"got": {"a": 1}}


def test_flask_response_passes_through(client: FlaskClient) -> None:
    response = client.get("/native")
    assert response.status_code == 418
    assert response.content_type.startswith("text/plain")
    assert response.get_data() == b"plain"


def test_abort_404_is_problem_json(client: FlaskClient) -> None:
    default = client.get("/missing/1")
    assert default.status_code == 404
    assert default.content_type == "application/problem+json"
    body = default.get_json()
    assert body["code"] == "not_found"
    # werkzeug's default text speaks of URLs typed by hand; ours is used instead.
    assert body["detail"] == "The requested resource was not found."
    assert body["instance"] == "/missing/1"
    assert client.get("/missing/2").get_json()["detail"] == "No note 2."


def test_none_is_204_without_content_type(client: FlaskClient) -> None:
    response = client.get("/nothing")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers


def test_ajax_error_renders(client: FlaskClient) -> None:
    response = client.get("/conflict")
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Taken."


def test_app_config_sets_debug_and_body_limit() -> None:
    app = create_app()
    app.config.update(AJAXKIT_DEBUG=True, AJAXKIT_MAX_BODY_SIZE=4)

    @app.route("/boom")
    @ajax
    def boom() -> NoReturn:
        raise RuntimeError("kaboom")

    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a page's own fetch()
    body = client.get("/boom").get_json()
    assert body["exception"]["message"] == "kaboom"
    response = client.post("/created", json={"too": "long"})
    assert response.status_code == 413


def test_bad_options_fail_at_decoration() -> None:
    with pytest.raises(TypeError):
        ajax(no_such_option=True)(lambda: None)
