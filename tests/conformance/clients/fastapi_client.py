"""The conformance app mounted on FastAPI, called through its TestClient."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import Response
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.types import ASGIApp

import ajaxkit.fastapi
from tests.conformance.app import Natives, build_api
from tests.conformance.clients.starlette_client import CookieBackend, HTTPXClient

_STATUS = {"not_found": 404, "forbidden": 403, "bad_request": 400}


def _response(status: int, body: bytes, content_type: str, headers: dict[str, str]) -> Any:
    return Response(body, status_code=status, media_type=content_type, headers=headers)


def _raise(kind: str, detail: str) -> None:
    raise HTTPException(_STATUS[kind], detail=detail)


NATIVES = Natives(response=_response, raise_exception=_raise)


def fastapi_app() -> FastAPI:
    """The conformance registry at ``/ajax`` and a debug copy at ``/ajax-debug``."""
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=CookieBackend())
    app.mount("/ajax-debug", ajaxkit.fastapi.app(build_api(NATIVES, debug=True)))
    app.mount("/ajax", ajaxkit.fastapi.app(build_api(NATIVES)))
    return app


class FastAPIClient(HTTPXClient):
    name = "fastapi"
    marks = ("fastapi",)
    capabilities = frozenset({"native", "async_server"})

    def make_app(self) -> ASGIApp:
        return fastapi_app()
