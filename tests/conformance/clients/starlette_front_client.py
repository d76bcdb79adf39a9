"""The conformance app served by ``ajaxkit.starlette.front`` ahead of a Starlette app.

The front mount must answer exactly as ``Mount`` does, so it runs the whole
conformance suite too; the authentication middleware wraps the front app,
as its docs say to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp

import ajaxkit.starlette
from ajaxkit import Ajax
from tests.conformance.clients.starlette_client import NATIVES, CookieBackend, HTTPXClient


async def _page(request: object) -> PlainTextResponse:
    return PlainTextResponse("the app's own route")


def front_app(apis: Mapping[str, Ajax], config: Mapping[str, Any] | None = None) -> ASGIApp:
    """``apis`` served ahead of a Starlette app (one front per prefix) under ``config``."""
    app: ASGIApp = Starlette(routes=[Route("/page", _page)])
    for prefix, api in apis.items():
        app = ajaxkit.starlette.front(api, app, prefix=prefix, config=config)
    return AuthenticationMiddleware(app, backend=CookieBackend())


class StarletteFrontClient(HTTPXClient):
    name = "starlette-front"
    marks = ("starlette",)
    capabilities = frozenset({"native", "async_server", "websocket"})
    natives = NATIVES

    def make_app(self, apis: Mapping[str, Ajax], config: Mapping[str, Any] | None) -> ASGIApp:
        return front_app(apis, config)
