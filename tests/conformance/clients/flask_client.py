"""The Flask conformance client: the app spec on two blueprints, Flask-Login users."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import flask
import flask_login  # type: ignore[import-untyped]  # ships no type information
from werkzeug import exceptions

from ajaxkit import Ajax
from ajaxkit.flask import blueprint
from ajaxkit.testing import Files, Params, Response, encode_body
from tests.conformance.app import Natives, default_apis
from tests.conformance.clients.base import Client, with_query

_NATIVE_ERRORS: dict[str, type[exceptions.HTTPException]] = {
    "not_found": exceptions.NotFound,
    "forbidden": exceptions.Forbidden,
    "bad_request": exceptions.BadRequest,
}


def _response(status: int, body: bytes, content_type: str, headers: list[tuple[str, str]]) -> Any:
    return flask.Response(body, status=status, headers=headers, content_type=content_type)


def _raise(kind: str, detail: str | None) -> None:
    raise _NATIVE_ERRORS[kind](description=detail)


def _stream(chunks: Iterator[bytes], content_type: str) -> Any:
    return flask.Response(chunks, content_type=content_type)


NATIVES = Natives(response=_response, raise_exception=_raise, stream=_stream)


class User(flask_login.UserMixin):  # type: ignore[misc]  # untyped base, see the import
    def __init__(self, username: str) -> None:
        self.id = self.username = username


def create_app(apis: Mapping[str, Ajax], config: Mapping[str, Any] | None = None) -> flask.Flask:
    """The conformance app, with a real Flask-Login session behind ``login``."""
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = "conformance"
    app.config.update(config or {})
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(User)
    # A login view must not turn ajaxkit's 401 into a redirect.
    login_manager.login_view = "login"

    @app.post("/login/<username>")
    def login(username: str) -> str:
        flask_login.login_user(User(username))
        return ""

    @app.post("/logout")
    def logout() -> str:
        flask_login.logout_user()
        return ""

    for prefix, api in apis.items():
        name = "ajaxkit" + prefix.replace("/", "_").replace("-", "_")
        app.register_blueprint(blueprint(api, name=name), url_prefix=prefix)
    return app


class FlaskClient(Client):
    name = "flask"
    marks = ("flask",)
    capabilities = frozenset({"native", "csrf", "signed_csrf_token"})
    origin = "http://localhost"

    def __init__(
        self, apis: Mapping[str, Ajax] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        self.app = create_app(apis or default_apis(FlaskClient, NATIVES, config), config)
        self.client = self.app.test_client()

    def sibling(self) -> FlaskClient:
        other = FlaskClient.__new__(FlaskClient)
        other.app, other.client = self.app, self.app.test_client()
        return other

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Params | None = None,
        files: Files | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = self.with_defaults(headers)
        cookie = headers.pop("Cookie", None)
        # werkzeug's client writes the Cookie header from its own jar (and
        # drops one given by hand), so a raw header goes through a jarless client.
        kwargs: dict[str, Any] = {"headers": headers, "environ_overrides": {}}
        opener = self.client
        if cookie is not None:
            opener = self.app.test_client(use_cookies=False)
            kwargs["environ_overrides"]["HTTP_COOKIE"] = cookie
        length = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
        if length is not None:
            # werkzeug's client writes its own Content-Length over a given one.
            kwargs["environ_overrides"]["CONTENT_LENGTH"] = length
        if json is not None:
            kwargs["json"] = json
        elif data is not None or files:
            # Encoded here: werkzeug's MultiDict would gather a repeated
            # name's values together, reordering the fields sent.
            kwargs["data"], kwargs["content_type"] = encode_body(data=data, files=files)
        elif content is not None:
            # Raw bytes as the body, as sent: given as data, werkzeug makes
            # a labelled multipart body of its own (a boundary and a closing
            # delimiter) even from no bytes at all.
            kwargs["input_stream"] = io.BytesIO(content)
            kwargs["environ_overrides"].setdefault("CONTENT_LENGTH", str(len(content)))
        native = opener.open(with_query(path, params), method=method, **kwargs)
        return Response(native.status_code, list(native.headers.items()), native.get_data())

    def login(self, username: str) -> None:
        assert self.client.post(f"/login/{username}").status_code == 200

    def logout(self) -> None:
        self.client.post("/logout")
