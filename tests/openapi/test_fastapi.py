"""FastAPI: ajaxkit endpoints in the app's own /openapi.json and /docs."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

import ajaxkit.fastapi
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.fastapi


def make_app() -> FastAPI:
    api = Ajax()

    @api.endpoint("users/search", methods=["GET"])
    def search(request: AjaxRequest, q: str = "") -> list[str]:
        return [q]

    @api.websocket("chat")
    async def chat(ws: Any) -> None:
        await ws.send("hi")

    app = FastAPI()

    @app.get("/native")
    def native() -> dict[str, int]:
        return {"n": 1}

    app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))
    return app


def test_ajaxkit_paths_join_fastapis_own() -> None:
    client = TestClient(make_app())
    document = client.get("/openapi.json").json()
    validate(document)
    assert {"/native", "/ajax/users/search"} <= set(document["paths"])
    search = document["paths"]["/ajax/users/search"]["get"]
    assert search["tags"] == ["ajaxkit"]
    assert search["parameters"][0]["name"] == "q"
    assert "Problem" in document["components"]["schemas"]
    assert "/ajax/chat" in document["x-ajaxkit-websockets"]


def test_the_merge_happens_once() -> None:
    app = make_app()
    first = app.openapi()
    assert app.openapi() is first
    assert list(first["paths"]).count("/ajax/users/search") == 1


def test_docs_page_is_served() -> None:
    client = TestClient(make_app())
    assert client.get("/docs").status_code == 200
    assert client.get("/ajax/users/search", params={"q": "x"}).json() == ["x"]


def test_mount_without_app_is_starlettes_mount() -> None:
    api = Ajax()
    mounted = ajaxkit.fastapi.mount("/ajax", api)
    assert isinstance(mounted, ajaxkit.fastapi.AjaxMount)
    assert mounted.path == "/ajax"
