"""The request argument is recognised by its framework's request class too.

A first parameter annotated with the framework's request class (each
integration declares it in ``Platform.request_types``) receives that
framework's own request object, whatever its name; one annotated with
``AjaxRequest`` (or named ``request``) receives the ``AjaxRequest``.
"""

from __future__ import annotations

from typing import Any

import flask
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
