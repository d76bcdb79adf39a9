"""The conformance app mounted on FastAPI, called through its TestClient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, HTTPException
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.types import ASGIApp

import ajaxkit.fastapi
from ajaxkit import Ajax
from tests.conformance.app import Natives
from tests.conformance.clients.starlette_client import (
    CookieBackend,
    HTTPXClient,
    native_response,
    native_stream,
)

_STATUS = {"not_found": 404, "forbidden": 403, "bad_request": 400}


def _raise(kind: str, detail: str | None) -> None:
    raise HTTPException(_STATUS[kind], detail=detail)


# Starlette's responses are FastAPI's; only the exception users raise differs.
NATIVES = Natives(response=native_response, raise_exception=_raise, stream=native_stream)


def fastapi_app(apis: Mapping[str, Ajax], config: Mapping[str, Any] | None = None) -> FastAPI:
    """``apis`` mounted by prefix behind real authentication middleware."""
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=CookieBackend())
    for prefix, api in apis.items():
        app.router.routes.append(ajaxkit.fastapi.mount(prefix, api, config=config))
    return app


class FastAPIClient(HTTPXClient):
    name = "fastapi"
    marks = ("fastapi",)
    capabilities = frozenset({"native", "csrf", "async_server", "websocket", "signed_csrf_token"})
    natives = NATIVES

    def make_app(self, apis: Mapping[str, Ajax], config: Mapping[str, Any] | None) -> ASGIApp:
        return fastapi_app(apis, config)
