"""``@ajax`` on plain Flask views, through Flask's own test client."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

import flask
import flask.views
import flask_login  # type: ignore[import-untyped]  # ships no type information
import pytest
from flask.testing import FlaskClient

from ajaxkit import Conflict, RegistrationError
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


# -- class-based views: ajaxkit wraps functions, and says so ----------------


def test_ajax_in_a_method_views_decorators_is_refused_saying_what_to_do() -> None:
    # Flask's documented way to decorate a class-based view hands @ajax
    # as_view's view(**kwargs): the error once blamed an annotation
    # ("name 'Response' is not defined") and told the user to import it.
    class Items(flask.views.MethodView):
        decorators: ClassVar[list[Callable[..., Any]]] = [ajax]

        def get(self) -> dict[str, list[int]]:
            return {"items": [1]}

    with pytest.raises(RegistrationError) as caught:
        Items.as_view("items")
    message = str(caught.value)
    assert "'items'" in message
    assert "class-based view" in message
    assert "@app.route" in message
    assert "annotation" not in message


def test_ajax_on_a_method_views_method_gives_flask_advice() -> None:
    with pytest.raises(RegistrationError) as caught:

        class Items(flask.views.MethodView):
            @ajax
            def get(self) -> dict[str, list[int]]:
                return {"items": [1]}

    message = str(caught.value)
    assert "'self'" in message
    assert "Flask's MethodView" in message
    assert "@app.route" in message


# -- @ajax above the route: Flask would serve the raw view, so it is refused --


def misordered_app() -> flask.Flask:
    """An app whose ``/secret`` has ``@ajax`` above ``@app.route``."""
    app = flask.Flask(__name__)

    @ajax(login_required=True)
    @app.route("/secret")
    def secret() -> dict[str, str]:
        return {"secret": "exposed"}

    @app.route("/")
    def home() -> str:
        return "home"

    return app


def test_ajax_above_app_route_is_refused_naming_the_view() -> None:
    app = misordered_app()
    app.testing = True  # the error reaches the test client, not a logged 500
    with pytest.raises(RegistrationError) as caught:
        app.test_client().get("/secret")
    view = f"{__name__}.misordered_app.<locals>.secret"
    assert str(caught.value) == (
        f"Flask endpoint 'secret' serves {view} without its @ajax wrapper, so"
        " none of ajaxkit's checks (login_required, permission, CSRF, rate"
        " limits) run: Flask registers the function @app.route is given, and"
        " @ajax was applied after it. Put @app.route (or @blueprint.route)"
        " above @ajax; to serve the view as written too, route a function of"
        " its own."
    )


def test_every_route_of_a_refused_app_fails_loudly_until_fixed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Not only the misordered view: a request to any route finds the mistake,
    # and Flask logs it as the 500 it answers, on every request.
    client = misordered_app().test_client()
    assert [client.get(path).status_code for path in ("/", "/secret", "/")] == [500] * 3
    logged = [r.exc_info[0] for r in caplog.records if r.exc_info]
    assert logged == [RegistrationError] * 3


def test_ajax_above_blueprint_route_is_refused_naming_the_endpoint() -> None:
    notes = flask.Blueprint("notes", __name__)

    @ajax(login_required=True)
    @notes.route("/<int:pk>")
    def note(pk: int) -> dict[str, int]:
        return {"pk": pk}

    app = flask.Flask(__name__)
    app.testing = True
    app.register_blueprint(notes, url_prefix="/notes")
    with pytest.raises(RegistrationError, match=r"endpoint 'notes\.note' serves .*<locals>\.note "):
        app.test_client().get("/notes/1")


def test_a_view_routed_as_written_and_wrapped_for_another_route_is_refused() -> None:
    # Indistinguishable from the misordered decorators; serving the raw view
    # too needs a function of its own (see docs/flask.md).
    def note() -> dict[str, str]:
        return {"note": "raw"}

    app = flask.Flask(__name__)
    app.testing = True
    app.add_url_rule("/note", view_func=note)
    app.add_url_rule("/ajax/note", "ajax_note", ajax(login_required=True)(note))
    with pytest.raises(RegistrationError, match=r"endpoint 'note' serves "):
        app.test_client().get("/ajax/note")


def logged(view: Any) -> Any:
    """A decorator of the application's own, keeping ``__wrapped__``."""

    @functools.wraps(view)
    def wrapper(**view_args: Any) -> Any:
        return view(**view_args)

    return wrapper


def test_ajax_above_another_decorator_above_the_route_is_refused() -> None:
    app = flask.Flask(__name__)
    app.testing = True

    @ajax(login_required=True)
    @logged
    @app.route("/secret")
    def secret() -> dict[str, str]:
        return {"secret": "exposed"}

    with pytest.raises(RegistrationError, match=r"endpoint 'secret' serves "):
        app.test_client().get("/secret")


def test_in_an_app_context_the_wrong_order_fails_where_it_is_written() -> None:
    # An app factory importing its views inside app.app_context(): no need
    # to wait for a request.
    app = flask.Flask(__name__)
    with app.app_context(), pytest.raises(RegistrationError, match=r"endpoint 'early' serves "):

        @ajax
        @app.route("/early")
        def early() -> dict[str, str]:
            return {}


def test_views_served_through_their_wrapper_are_not_refused() -> None:
    app = flask.Flask(__name__)
    app.testing = True

    @app.route("/a")
    @logged
    @ajax
    def a() -> dict[str, str]:
        return {"view": "a"}

    # An @ajax view wrapped again, with other options, for another route.
    app.add_url_rule("/b", "b", ajax(methods=["POST"])(a))
    with app.app_context():
        # Decorating inside a context checks that app's routes: none is raw.
        app.add_url_rule("/c", "c", ajax(logged(lambda: {"view": "c"})))
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a page's own fetch()
    assert client.get("/a").get_json() == {"view": "a"}
    assert client.post("/b").get_json() == {"view": "a"}
    assert client.get("/c").get_json() == {"view": "c"}


def test_an_app_is_checked_once_not_on_every_request() -> None:
    # Requests pay a membership test, never a scan of the routes: a view
    # swapped for its raw function behind Flask's back after the first
    # request (setup is over by then) is not looked for again.
    app = flask.Flask(__name__)
    app.testing = True

    def raw() -> dict[str, str]:
        return {"view": "raw"}

    app.add_url_rule("/raw", view_func=ajax(raw))
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a page's own fetch()
    assert client.get("/raw").status_code == 200
    app.view_functions["raw"] = raw
    assert client.get("/raw").get_json() == {"view": "raw"}
