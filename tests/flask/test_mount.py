"""The blueprint, the extension, app.config settings and werkzeug errors."""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import flask
import pytest
from werkzeug import exceptions

import ajaxkit.flask
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.flask import AjaxKit, blueprint

pytestmark = pytest.mark.flask

#: What a browser adds to a page's own fetch(), so the CSRF policy admits it.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def make_api(**settings: Any) -> Ajax:
    api = Ajax(**settings)

    @api.endpoint("echo", methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        # The native request can still be read after the core parsed the body.
        return {"data": request.data, "native": request.native.get_json()}

    @api.endpoint("teapot")
    def teapot(request: AjaxRequest) -> None:
        flask.abort(418)

    @api.endpoint("busy")
    def busy(request: AjaxRequest) -> None:
        raise exceptions.ServiceUnavailable("Back soon.", retry_after=30)

    @api.endpoint("werkzeug-405")
    def wrong_method(request: AjaxRequest) -> None:
        raise exceptions.MethodNotAllowed(valid_methods=["PUT"])

    @api.endpoint(login_required=True)
    def whoami(request: AjaxRequest) -> None:
        return None

    @api.endpoint("boom")
    def boom(request: AjaxRequest) -> None:
        raise RuntimeError("kaboom")

    return api


def test_public_names() -> None:
    public = {
        name
        for name, value in vars(ajaxkit.flask).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert sorted(ajaxkit.flask.__all__) == sorted(public - {"annotations"})


def test_extension_registers_blueprint_at_prefix() -> None:
    app = flask.Flask(__name__)
    extension = AjaxKit(api=make_api(), url_prefix="/api")
    extension.init_app(app)
    assert app.extensions["ajaxkit"] is extension
    response = app.test_client().post("/api/echo", json={"a": 1}, headers=SAME_ORIGIN)
    assert response.get_json() == {"data": {"a": 1}, "native": {"a": 1}}


def test_without_a_login_manager_the_user_is_anonymous() -> None:
    app = flask.Flask(__name__)
    AjaxKit(app, api=make_api())
    response = app.test_client().get("/ajax/whoami")
    assert response.status_code == 401
    assert response.get_json()["code"] == "not_authenticated"


def test_werkzeug_errors_map_by_status() -> None:
    app = flask.Flask(__name__)
    AjaxKit(app, api=make_api())
    client = app.test_client()
    teapot = client.get("/ajax/teapot")
    assert teapot.status_code == 418
    assert teapot.get_json()["code"] == "im_a_teapot"
    assert teapot.get_json()["title"] == "I'm a Teapot"
    busy = client.get("/ajax/busy")
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "30")
    assert busy.get_json()["detail"] == "Back soon."
    wrong = client.get("/ajax/werkzeug-405")
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "PUT")
    assert wrong.get_json()["code"] == "method_not_allowed"


def test_config_is_read_at_registration_and_app_debug_turns_debug_on() -> None:
    api = make_api()
    app = flask.Flask(__name__)
    app.debug = True
    app.config["AJAXKIT_MAX_BODY_SIZE"] = 10
    app.register_blueprint(blueprint(api), url_prefix="/ajax")
    assert (api.settings.debug, api.settings.max_body_size) == (True, 10)
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a page's own fetch()
    assert client.get("/ajax/boom").get_json()["exception"]["message"] == "kaboom"
    assert client.post("/ajax/echo", json={"long": "enough"}).status_code == 413


def test_explicit_config_wins_and_api_debug_is_not_turned_off() -> None:
    api = make_api(debug=True)
    app = flask.Flask(__name__)
    app.register_blueprint(blueprint(api), url_prefix="/ajax")
    assert api.settings.debug is True
    other = make_api(debug=True)
    app.config["AJAXKIT_DEBUG"] = False
    app.register_blueprint(blueprint(other, name="other"), url_prefix="/other")
    assert other.settings.debug is False


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


def test_chunked_body_over_limit_is_413_without_reading_it_all() -> None:
    app = flask.Flask(__name__)
    app.config["AJAXKIT_MAX_BODY_SIZE"] = 100
    AjaxKit(app, api=make_api())
    stream = CountingStream(b'{"a": "' + b"x" * 10_000 + b'"}')
    response = app.test_client().post(
        "/ajax/echo",
        input_stream=stream,
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert stream.served <= 101


def test_chunked_body_within_limit_is_read() -> None:
    app = flask.Flask(__name__)
    AjaxKit(app, api=make_api())
    response = app.test_client().post(
        "/ajax/echo",
        input_stream=io.BytesIO(b'{"a": 1}'),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
        headers=SAME_ORIGIN,
    )
    assert response.get_json() == {"data": {"a": 1}, "native": {"a": 1}}


def test_ajaxkit_limit_governs_not_max_content_length() -> None:
    # As on Django (DATA_UPLOAD_MAX_MEMORY_SIZE): under the mount, ajaxkit's
    # max_body_size is the one limit (docs/settings.md).
    app = flask.Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=100, AJAXKIT_MAX_BODY_SIZE=1000)
    AjaxKit(app, api=make_api())
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a page's own fetch()
    accepted = client.post("/ajax/echo", json={"a": "x" * 300})
    assert accepted.status_code == 200, accepted.get_data()
    assert accepted.get_json()["native"] == {"a": "x" * 300}
    refused = client.post("/ajax/echo", json={"a": "x" * 1000})
    assert refused.get_json()["detail"] == "The request body is larger than 1000 bytes."


@pytest.mark.parametrize("value", ["0", "false", 0])
def test_a_string_debug_in_app_config_is_read_by_its_spelling(value: Any) -> None:
    # app.config filled from the environment holds strings: "0" is off.
    api = make_api()
    app = flask.Flask(__name__)
    app.config["DEBUG"] = value
    app.register_blueprint(blueprint(api), url_prefix="/ajax")
    assert api.settings.debug is False
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    assert "exception" not in client.get("/ajax/boom").get_json()


def test_from_prefixed_env_configures(monkeypatch: pytest.MonkeyPatch) -> None:
    # Flask reads each FLASK_* variable as JSON when it parses, else keeps the string.
    monkeypatch.setenv("FLASK_AJAXKIT_DEBUG", "1")
    monkeypatch.setenv("FLASK_AJAXKIT_MAX_BODY_SIZE", "10")
    monkeypatch.setenv("FLASK_AJAXKIT_CSRF_ALLOW_SAME_SITE", "True")
    monkeypatch.setenv("FLASK_AJAXKIT_CSRF_TRUSTED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("FLASK_AJAXKIT_DEFAULT_METHODS", '["GET", "POST"]')
    api = make_api()
    app = flask.Flask(__name__)
    app.config.from_prefixed_env()
    app.register_blueprint(blueprint(api), url_prefix="/ajax")
    settings = api.settings
    assert (settings.debug, settings.max_body_size) == (True, 10)
    assert settings.csrf.allow_same_site is True
    assert settings.csrf.trusted_origins == ("https://a.example", "https://b.example")
    assert settings.default_methods == ("GET", "POST")


def test_an_unhandled_error_is_signalled_as_flask_signals_one() -> None:
    # Error trackers (Sentry's, Rollbar's Flask integrations) listen to
    # got_request_exception; a handler's crash became a 500 problem without
    # it, so they never saw an error under the mount or in an @ajax view.
    app = flask.Flask(__name__)
    AjaxKit(app, api=make_api())

    @app.get("/view")
    @ajaxkit.flask.ajax
    def view() -> dict[str, str]:
        raise KeyError("lost")

    seen: list[BaseException] = []

    def record(sender: flask.Flask, exception: BaseException, **_: Any) -> None:
        assert sender is app
        seen.append(exception)

    with flask.got_request_exception.connected_to(record, app):
        client = app.test_client()
        assert client.get("/ajax/boom").status_code == 500
        assert client.get("/view").status_code == 500
        # Errors the code meant to answer are no crash, as in Flask.
        assert client.get("/ajax/teapot").status_code == 418
        assert client.get("/ajax/busy").status_code == 503
    assert [type(exc) for exc in seen] == [RuntimeError, KeyError]


def test_a_failing_error_receiver_leaves_the_problem_answer() -> None:
    app = flask.Flask(__name__)
    AjaxKit(app, api=make_api())

    def broken(sender: flask.Flask, **_: Any) -> None:
        raise ValueError("tracker down")

    with flask.got_request_exception.connected_to(broken, app):
        response = app.test_client().get("/ajax/boom")
    assert (response.status_code, response.get_json()["code"]) == (500, "internal_error")
