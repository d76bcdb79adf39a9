"""Django's and Flask's ``@ajax`` are one mechanism: the same views, the same answers.

Every test decorates the very same view functions with each framework's
``@ajax``, mounts them at the same URL patterns (both frameworks spell
``<int:pk>`` alike) and checks the same answers, so a difference between
the two wrappers fails here.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from ajaxkit import Settings
from ajaxkit.compat.ajaxutils import AjaxUtilsProfile
from ajaxkit.testing import Response

#: (route, options, view): what each test mounts.
Route = tuple[str, dict[str, Any], Callable[..., Any]]


def note(request: Any, pk: int, q: str = "", tags: list[str] | None = None) -> dict[str, Any]:
    return {"pk": pk, "q": q, "tags": tags, "method": request.method}


def count(request: Any, n: int) -> dict[str, int]:
    return {"n": n}


async def shout(request: Any, text: str, times: int = 1) -> Any:
    await asyncio.sleep(0)
    return {"text": text.upper() * times}, 201


def me(request: Any) -> dict[str, bool]:
    return {"ok": True}


def me_too(request: Any) -> dict[str, bool]:
    return {"ok": True}


def only_ada(request: Any) -> bool:
    # The permission gets ajaxkit's request on every framework.
    return getattr(request.user, "username", getattr(request.user, "id", None)) == "ada"


def boom(request: Any) -> None:
    raise RuntimeError("kaboom")


def missing(request: Any) -> None:
    from ajaxkit import NotFound

    raise NotFound()


class Harness(ABC):
    """Mounts wrapped views on one framework and talks to them."""

    @abstractmethod
    def mount(self, routes: list[Route], config: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def request(self, method: str, path: str, json: Any = None) -> Response: ...

    @abstractmethod
    def login(self, username: str) -> None: ...

    def close(self) -> None:
        """Undo what :meth:`mount` set up."""


class DjangoHarness(Harness):
    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()
        self._overrides: list[Any] = []

    def mount(self, routes: list[Route], config: Mapping[str, Any]) -> None:
        from django.test.utils import override_settings
        from django.urls import path

        from ajaxkit.django import ajax

        urlconf = ModuleType("wrapper_urls")
        urlconf.urlpatterns = [  # type: ignore[attr-defined]
            path(route, ajax(**options)(view)) for route, options, view in routes
        ]
        # Django's settings are read on a view's first request.
        override = override_settings(ROOT_URLCONF=urlconf, **config)
        override.enable()
        self._overrides.append(override)

    def request(self, method: str, path: str, json: Any = None) -> Response:
        kwargs: dict[str, Any] = {}
        if json is not None:
            kwargs = {"data": jsonlib.dumps(json), "content_type": "application/json"}
        native = self.client.generic(method, "/" + path, **kwargs)
        return Response(native.status_code, list(native.headers.items()), native.content)

    def login(self, username: str) -> None:
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username=username)
        self.client.force_login(user)

    def close(self) -> None:
        for override in reversed(self._overrides):
            override.disable()


class FlaskHarness(Harness):
    def __init__(self) -> None:
        import flask
        import flask_login  # type: ignore[import-untyped]  # ships no type information

        class User(flask_login.UserMixin):  # type: ignore[misc]  # untyped base, see the import
            def __init__(self, user_id: str) -> None:
                self.id = user_id

        self.app = flask.Flask(__name__)
        self.app.config["SECRET_KEY"] = "wrapper"
        flask_login.LoginManager(self.app).user_loader(User)

        @self.app.post("/login/<user_id>")
        def login(user_id: str) -> str:
            flask_login.login_user(User(user_id))
            return ""

        self.client = self.app.test_client()
        # A page's own fetch(): the browser marks it same-origin (CSRF policy).
        self.client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"

    def mount(self, routes: list[Route], config: Mapping[str, Any]) -> None:
        from ajaxkit.flask import ajax

        self.app.config.update(config)
        for route, options, view in routes:
            self.app.add_url_rule("/" + route, view.__name__, ajax(**options)(view))

    def request(self, method: str, path: str, json: Any = None) -> Response:
        native = self.client.open("/" + path, method=method, json=json)
        return Response(native.status_code, list(native.headers.items()), native.get_data())

    def login(self, username: str) -> None:
        assert self.client.post(f"/login/{username}").status_code == 200


@dataclass(frozen=True)
class Framework:
    name: str
    harness: type[Harness]


@pytest.fixture(
    params=[
        pytest.param(Framework("django", DjangoHarness), id="django", marks=pytest.mark.django),
        pytest.param(Framework("flask", FlaskHarness), id="flask", marks=pytest.mark.flask),
    ]
)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    instance: Harness = request.param.harness()
    try:
        yield instance
    finally:
        instance.close()


def test_url_arguments_and_typed_query_parameters_bind(harness: Harness) -> None:
    harness.mount([("notes/<int:pk>", {"methods": ["GET"]}, note)], {})
    response = harness.request("GET", "notes/7?q=x&tags=a&tags=b")
    assert response.json() == {"pk": 7, "q": "x", "tags": ["a", "b"], "method": "GET"}


def test_a_bad_parameter_is_the_same_422(harness: Harness) -> None:
    harness.mount([("count", {}, count)], {})
    response = harness.request("GET", "count?n=many")
    assert response.status == 422
    assert response.json()["errors"][0]["parameter"] == "n"


def test_async_view_binds_from_the_body(harness: Harness) -> None:
    harness.mount([("shout", {"methods": ["POST"]}, shout)], {})
    response = harness.request("POST", "shout", json={"text": "hi", "times": 2})
    assert (response.status, response.json()) == (201, {"text": "HIHI"})


def test_methods_option_gives_405_and_options(harness: Harness) -> None:
    harness.mount([("notes/<int:pk>", {"methods": ["GET", "DELETE"]}, note)], {})
    wrong = harness.request("POST", "notes/1")
    assert (wrong.status, wrong.headers["Allow"]) == (405, "DELETE, GET, HEAD, OPTIONS")
    assert harness.request("OPTIONS", "notes/1").status == 204


def test_login_required_option(harness: Harness) -> None:
    harness.mount([("me", {"login_required": True}, me)], {})
    assert harness.request("GET", "me").json()["code"] == "not_authenticated"
    harness.login("ada")
    assert harness.request("GET", "me").json() == {"ok": True}


def test_permission_option(harness: Harness) -> None:
    harness.mount([("me", {"permission": only_ada}, me)], {})
    harness.login("bob")
    assert harness.request("GET", "me").status == 403
    harness.login("ada")
    assert harness.request("GET", "me").json() == {"ok": True}


def test_settings_parameter_chooses_the_wire_format(harness: Harness) -> None:
    compat = Settings(profile=AjaxUtilsProfile())
    harness.mount([("missing", {"settings": compat}, missing)], {})
    response = harness.request("GET", "missing")
    assert (response.status, response.json()) == (404, {"status": "error", "error": "Not found"})


@pytest.mark.parametrize(
    ("declared", "config", "shown"),
    [
        pytest.param(True, {}, True, id="view-settings"),
        pytest.param(True, {"AJAXKIT_DEBUG": False}, False, id="config-wins"),
        pytest.param(False, {"DEBUG": True}, True, id="framework-debug"),
    ],
)
def test_settings_resolve_by_the_one_rule(
    harness: Harness, declared: bool, config: Mapping[str, Any], shown: bool
) -> None:
    options = {"settings": Settings(debug=declared)}
    harness.mount([("boom", options, boom)], config)
    response = harness.request("GET", "boom")
    assert response.status == 500
    assert ("exception" in response.json()) is shown


def test_bad_option_fails_at_decoration(harness: Harness) -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        harness.mount([("me", {"no_such_option": True}, me)], {})


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"AJAXKIT_DEFAULT_METHODS": ["GET"]}, id="name"),
        pytest.param({"AJAXKIT": {"DEFAULT_METHODS": "GET"}}, id="dict"),
    ],
)
def test_configured_default_methods_reach_views_naming_none(
    harness: Harness, config: Mapping[str, Any]
) -> None:
    # As for a registry's endpoints: the view answered ajaxkit's own
    # defaults (POST included) whatever DEFAULT_METHODS said.
    routes: list[Route] = [
        ("me", {}, me),
        ("coded", {"settings": Settings(default_methods=("POST",))}, me_too),
        ("named/<int:pk>", {"methods": ["GET", "POST"]}, note),
    ]
    harness.mount(routes, config)
    for path in ("me", "coded"):  # configuration beats code, as for a registry
        wrong = harness.request("POST", path)
        assert (wrong.status, wrong.headers["Allow"]) == (405, "GET, HEAD, OPTIONS"), path
        assert harness.request("GET", path).json() == {"ok": True}
    assert harness.request("POST", "named/1").json()["method"] == "POST"  # named: kept


def test_view_default_methods_in_code_are_honoured(harness: Harness) -> None:
    harness.mount([("me", {"settings": Settings(default_methods=("PUT",))}, me)], {})
    assert harness.request("PUT", "me").json() == {"ok": True}
    assert harness.request("GET", "me").status == 405
