"""The conformance app mounted on Starlette, called through its TestClient."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import Response, StreamingResponse
from starlette.testclient import TestClient
from starlette.types import ASGIApp

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.testing import Response as TestResponse
from ajaxkit.testing import encode_body
from tests.conformance.app import Natives, default_apis
from tests.conformance.clients._websocket import websocket_session
from tests.conformance.clients.base import Client, WsSession, with_query

#: The cookie standing in for a session: the backend trusts it (tests only).
USER_COOKIE = "test_user"
_STATUS = {"not_found": 404, "forbidden": 403, "bad_request": 400}


class CookieBackend(AuthenticationBackend):
    """Authenticates whoever the test cookie names, through the real middleware."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        username = conn.cookies.get(USER_COOKIE)
        if not username:
            return None
        return AuthCredentials(["authenticated"]), SimpleUser(username)


def native_response(
    status: int, body: bytes, content_type: str, headers: list[tuple[str, str]]
) -> Any:
    """Starlette's own response (FastAPI's is the same class), a header name may repeat."""
    made = Response(body, status_code=status, media_type=content_type)
    for name, value in headers:
        made.headers.append(name, value)
    return made


def _raise(kind: str, detail: str | None) -> None:
    raise HTTPException(_STATUS[kind], detail=detail)


def native_stream(chunks: Iterator[bytes], content_type: str) -> Any:
    """Starlette's own streamed response (FastAPI's is the same class)."""
    return StreamingResponse(chunks, media_type=content_type)


NATIVES = Natives(response=native_response, raise_exception=_raise, stream=native_stream)


def starlette_app(apis: Mapping[str, Ajax], config: Mapping[str, Any] | None = None) -> Starlette:
    """``apis`` mounted by prefix behind real authentication middleware."""
    mounts = [ajaxkit.starlette.mount(p, api, config=config) for p, api in apis.items()]
    return Starlette(
        routes=mounts,
        middleware=[Middleware(AuthenticationMiddleware, backend=CookieBackend())],
    )


def _opened(http: TestClient) -> TestClient:
    """``http`` with its event loop started, for every request until :meth:`close`.

    Used outside a ``with`` block, a TestClient starts a thread and an event
    loop for each request and stops them after it (a few milliseconds, more
    than many requests take).  A server serves all its requests on one loop,
    and so does this; the app's lifespan runs too (ajaxkit's mounts answer
    it and do nothing else).
    """
    http.__enter__()
    return http


class HTTPXClient(Client):
    """Shared by the Starlette and FastAPI clients: both serve through Starlette's TestClient."""

    natives: ClassVar[Natives]

    def __init__(
        self, apis: Mapping[str, Ajax] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        apis = apis or default_apis(type(self), self.natives, config)
        self.http = _opened(TestClient(self.make_app(apis, config)))

    def sibling(self) -> HTTPXClient:
        other = type(self).__new__(type(self))
        other.http = _opened(TestClient(self.http.app))
        return other

    @abstractmethod
    def make_app(self, apis: Mapping[str, Ajax], config: Mapping[str, Any] | None) -> ASGIApp:
        """The framework app with ``apis`` mounted under ``config``."""

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        body, content_type = encode_body(
            json=kwargs.pop("json", None),
            data=kwargs.pop("data", None),
            files=kwargs.pop("files", None),
        )
        headers = self.with_defaults(kwargs.pop("headers", None))
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        content = kwargs.pop("content", None)
        response = self.http.request(
            method,
            with_query(path, kwargs.pop("params", None)),
            content=content if content is not None else body or None,
            # Bytes, as a server receives them: httpx refuses non-ASCII str values.
            headers={k.encode("latin-1"): v.encode("latin-1") for k, v in headers.items()},
        )
        pairs = response.headers.multi_items()
        return TestResponse(response.status_code, pairs, response.content)

    def websocket(
        self,
        path: str,
        *,
        denial_response: bool = True,
        headers: dict[str, str] | None = None,
    ) -> AbstractContextManager[WsSession]:
        return websocket_session(
            self.http.app,
            path,
            headers=headers,
            cookies=dict(self.http.cookies),
            denial_response=denial_response,
        )

    def login(self, username: str) -> None:
        self.http.cookies.set(USER_COOKIE, username)

    def logout(self) -> None:
        self.http.cookies.clear()

    def close(self) -> None:
        self.http.__exit__(None, None, None)  # the lifespan's end, then the loop's
        self.http.close()


class StarletteClient(HTTPXClient):
    name = "starlette"
    marks = ("starlette",)
    capabilities = frozenset({"native", "csrf", "async_server", "websocket", "signed_csrf_token"})
    natives = NATIVES

    def make_app(self, apis: Mapping[str, Ajax], config: Mapping[str, Any] | None) -> ASGIApp:
        return starlette_app(apis, config)
