"""``ajaxkit.starlette.front``: ajaxkit ahead of the app answers as the Mount would.

The whole conformance suite also runs through it (``starlette-front``); these
are the routing edges: what goes to ajaxkit, what goes to the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.authentication import AuthenticationBackend
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

import ajaxkit.fastapi
import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest, ConfigurationError

pytestmark = pytest.mark.starlette


def make_api() -> Ajax:
    api = Ajax()

    @api.endpoint("where/{rest:path}")
    def where(request: AjaxRequest, rest: str) -> dict[str, Any]:
        native: Request = request.native
        return {"route": request.route, "path": request.path, "rest": rest, "url": str(native.url)}

    return api


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"page {request.url.path}")


def app_with_page() -> Starlette:
    return Starlette(routes=[Route("/page", page), Route("/ajax", page)])


@pytest.mark.parametrize("root_path", ["", "/site"])
def test_front_answers_what_the_mount_answers(root_path: str) -> None:
    api = make_api()
    mounted = TestClient(
        Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))]), root_path=root_path
    )
    fronted = TestClient(ajaxkit.starlette.front(api, app_with_page()), root_path=root_path)
    for path in ("/ajax/where/a/b?x=1", "/ajax/nowhere", "/ajax/where/"):
        expected, got = mounted.get(path), fronted.get(path)
        assert (got.status_code, got.json()) == (expected.status_code, expected.json())
    if not root_path:
        assert fronted.get("/ajax/where/a").json()["route"] == "/where/a"


def test_a_root_path_held_in_path_is_kept_as_uvicorn_sends_it() -> None:
    api = make_api()
    # uvicorn --root-path puts the root path in both root_path and path.
    site = {"root_path": "/site"}
    fronted = TestClient(_with_scope(ajaxkit.starlette.front(api, app_with_page()), site))
    mounted = TestClient(
        _with_scope(Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))]), site)
    )
    got, expected = fronted.get("/site/ajax/where/a"), mounted.get("/site/ajax/where/a")
    assert got.status_code == expected.status_code == 200
    assert got.json() == expected.json()
    assert got.json()["route"] == "/where/a"


def _with_scope(app: Any, extra: dict[str, str]) -> Any:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, **extra}, receive, send)

    return wrapped


def test_everything_else_and_the_lifespan_go_to_the_app() -> None:
    started: list[bool] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started.append(True)
        yield

    app = Starlette(routes=[Route("/page", page), Route("/ajax", page)], lifespan=lifespan)
    with TestClient(ajaxkit.fastapi.front(make_api(), app)) as client:
        assert client.get("/page").text == "page /page"
        # Not below the prefix: "/ajax" itself and look-alikes are the app's.
        assert client.get("/ajax").text == "page /ajax"
        assert client.get("/ajaxy/where/a").status_code == 404
    assert started == [True]


@pytest.mark.parametrize("prefix", ["ajax", "/ajax/", "", "/", None])
def test_a_prefix_must_start_and_not_end_with_a_slash(prefix: Any) -> None:
    # A set-up mistake: a ConfigurationError naming the setting and the value.
    with pytest.raises(ConfigurationError) as info:
        ajaxkit.starlette.front(make_api(), app_with_page(), prefix=prefix)
    assert f"prefix={prefix!r}" in str(info.value)
    assert "'/ajax'" in str(info.value)


def test_a_bad_prefix_leaves_the_settings_alone() -> None:
    api = make_api()
    with pytest.raises(ConfigurationError, match="prefix"):
        ajaxkit.fastapi.front(api, app_with_page(), prefix="ajax", config={"AJAXKIT_DEBUG": True})
    assert api.settings.debug is False


def test_a_handler_reaches_the_app_and_its_routes_as_under_the_mount() -> None:
    # request.app.state (what a lifespan set up) and request.url_for are
    # what a Starlette or FastAPI handler reaches for; under front() the
    # app's own __call__ and router, which put them in the scope, never run.
    api = Ajax()

    @api.endpoint("app")
    def app_facts(request: Request) -> dict[str, str]:
        return {"db": request.app.state.db, "page": str(request.url_for("page"))}

    mounted = Starlette(
        routes=[Route("/page", page, name="page"), Mount("/ajax", ajaxkit.starlette.app(api))]
    )
    app = Starlette(routes=[Route("/page", page, name="page")])
    mounted.state.db = app.state.db = "the pool"
    expected = {"db": "the pool", "page": "http://testserver/page"}
    assert TestClient(mounted).get("/ajax/app").json() == expected
    for fronted in (ajaxkit.starlette.front(api, app), ajaxkit.fastapi.front(api, app)):
        assert TestClient(fronted).get("/ajax/app").json() == expected
    # Wrapped in middleware, as the docs advise, the app is still found.
    wrapped = AuthenticationMiddleware(ajaxkit.starlette.front(api, app), backend=NoUsers())
    assert TestClient(wrapped).get("/ajax/app").json() == expected


class NoUsers(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> None:
        return None


def test_a_socket_handler_reaches_the_app_as_under_the_mount() -> None:
    api = Ajax()

    @api.websocket("facts")
    async def facts(socket: Any) -> None:
        await socket.send_json({"db": socket.request.native.app.state.db})

    app = Starlette(routes=[Route("/page", page, name="page")])
    app.state.db = "the pool"
    with TestClient(ajaxkit.starlette.front(api, app)).websocket_connect("/ajax/facts") as ws:
        assert ws.receive_json() == {"db": "the pool"}
