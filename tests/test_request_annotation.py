"""The request argument is recognised by its framework's request class too.

A first parameter annotated with the framework's request class (each
integration declares it in ``Platform.request_types``) receives that
framework's own request object, whatever its name; one annotated with
``AjaxRequest`` (or named ``request``) receives the ``AjaxRequest``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import flask
import httpx
import pytest
from django.http import HttpRequest
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import include, path
from fastapi import FastAPI
from fastapi import Request as FastAPIRequest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.routing import Mount
from starlette.testclient import TestClient

import ajaxkit.django
import ajaxkit.fastapi
import ajaxkit.flask
import ajaxkit.starlette
from ajaxkit import Ajax


def _kind(req: Any) -> str:
    return type(req).__name__


@pytest.mark.flask
def test_flask_request_annotation() -> None:
    api = Ajax()

    @api.endpoint
    def who(req: flask.Request, q: str) -> dict[str, str]:
        return {"kind": _kind(req), "q": q, "arg": req.args["q"]}

    app = flask.Flask(__name__)
    app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax")
    body = app.test_client().get("/ajax/who?q=x").get_json()
    assert body == {"kind": "Request", "q": "x", "arg": "x"}


@pytest.mark.starlette
def test_starlette_request_annotation() -> None:
    api = Ajax()

    @api.endpoint
    async def who(req: StarletteRequest, q: str) -> dict[str, str]:
        return {"kind": _kind(req), "q": q, "arg": req.query_params["q"]}

    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])
    body = TestClient(app).get("/ajax/who?q=x").json()
    assert body == {"kind": "Request", "q": "x", "arg": "x"}


@pytest.mark.fastapi
def test_fastapi_request_annotation() -> None:
    api = Ajax()

    @api.endpoint
    async def who(req: FastAPIRequest, q: str) -> dict[str, str]:
        return {"kind": _kind(req), "q": q, "arg": req.query_params["q"]}

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    body = TestClient(app).get("/ajax/who?q=x").json()
    assert body == {"kind": "Request", "q": "x", "arg": "x"}


_django_api = Ajax()


@_django_api.endpoint
def who(req: HttpRequest, q: str) -> dict[str, str]:
    return {"kind": _kind(req), "q": q, "arg": req.GET["q"]}


urlpatterns = [path("ajax/", include(ajaxkit.django.urls(_django_api)))]


@pytest.mark.django
def test_django_request_annotation() -> None:
    with override_settings(ROOT_URLCONF=__name__):
        body = DjangoClient().get("/ajax/who", {"q": "x"}).json()
    assert body == {"kind": "WSGIRequest", "q": "x", "arg": "x"}


# --- the framework's own request reads what ajaxkit already read ------------------
#
# ajaxkit reads the body to bind parameters before the handler runs; a
# handler given Starlette's own Request may read it again, as it could in a
# Starlette view (Flask and Django keep the body on their request).  Starlette
# reads the body from the ASGI receive channel, which ajaxkit has drained:
# without a replay the read waits forever.


def _starlette_native_api() -> Ajax:
    api = Ajax()

    @api.endpoint("notes/{pk}", methods=["POST"], csrf_exempt=True)
    async def note(req: StarletteRequest, pk: int, title: str) -> dict[str, Any]:
        return {"pk": pk, "title": title, "again": await req.json(), "path": req.path_params}

    @api.endpoint("forms", methods=["POST"], csrf_exempt=True)
    async def form(req: StarletteRequest, title: str) -> dict[str, Any]:
        # Not req.form(): Starlette parses forms only with python-multipart.
        return {"title": title, "raw": (await req.body()).decode()}

    return api


async def _post(app: Any, url: str, **kwargs: Any) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # A read that waits on a drained channel never ends: bounded here.
        return await asyncio.wait_for(client.post(url, **kwargs), timeout=5)


@pytest.mark.starlette
@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_starlette_request_reads_the_body_ajaxkit_read(framework: str) -> None:
    api = _starlette_native_api()
    if framework == "fastapi":
        app: Any = FastAPI()
        app.mount("/ajax", ajaxkit.fastapi.app(api))
    else:
        app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])
    answer = asyncio.run(_post(app, "/ajax/notes/7", json={"title": "a"}))
    assert answer.json() == {
        "pk": 7,
        "title": "a",
        "again": {"title": "a"},
        "path": {"pk": "7"},
    }
    answer = asyncio.run(_post(app, "/ajax/forms", data={"title": "b"}))
    assert answer.json() == {"title": "b", "raw": "title=b"}
