"""WebSocket sessions through Starlette's TestClient, which drives any ASGI app.

The Starlette and FastAPI clients use it on their own app; the Django ASGI
client on Django's application wrapped by :func:`ajaxkit.django.asgi`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import Any

from starlette.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from tests.conformance.clients.base import WsClosed, WsRefused, WsSession


class _Session:
    """A :class:`WsSession` over Starlette's test session, closes as :class:`WsClosed`."""

    def __init__(self, session: WebSocketTestSession) -> None:
        self._session = session

    def send_text(self, data: str) -> None:
        self._session.send_text(data)

    def send_bytes(self, data: bytes) -> None:
        self._session.send_bytes(data)

    def send_json(self, data: Any) -> None:
        self._session.send_json(data)

    def receive_text(self) -> str:
        with _closes():
            return self._session.receive_text()

    def receive_bytes(self) -> bytes:
        with _closes():
            return self._session.receive_bytes()

    def receive_json(self) -> Any:
        with _closes():
            return self._session.receive_json()

    def close(self, code: int = 1000) -> None:
        self._session.close(code)

    @property
    def headers(self) -> list[tuple[str, str]]:
        sent: list[tuple[bytes, bytes]] = self._session.extra_headers or []
        return [(bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1")) for k, v in sent]


@contextmanager
def _closes() -> Iterator[None]:
    try:
        yield
    except WebSocketDisconnect as closed:
        raise WsClosed(closed.code, closed.reason or "") from None


@contextmanager
def websocket_session(
    app: ASGIApp,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    denial_response: bool = True,
) -> Iterator[WsSession]:
    """Open ``path`` on ``app``; a refused handshake raises :class:`WsRefused`.

    ``denial_response=False`` serves the app as a server without the
    ``websocket.http.response`` extension would.
    """
    served = app if denial_response else _without_denial_extension(app)
    with ExitStack() as stack:
        http = stack.enter_context(closing(TestClient(served, cookies=cookies)))
        try:
            session = stack.enter_context(http.websocket_connect(path, headers=dict(headers or {})))
        except WebSocketDenialResponse as denial:
            problem = denial.json()
            raise WsRefused(denial.status_code, problem["code"], problem=problem) from None
        except WebSocketDisconnect as closed:
            # Refused with a close frame: 4000 + status (1011 for a server
            # error), the problem code as reason.
            reason = closed.reason or ""
            status = 500 if closed.code == 1011 else closed.code - 4000
            raise WsRefused(status, reason.partition(" ")[0], close=(closed.code, reason)) from None
        yield _Session(session)


def _without_denial_extension(app: ASGIApp) -> ASGIApp:
    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items()}
        extensions.pop("websocket.http.response", None)
        await app({**scope, "extensions": extensions}, receive, send)

    return served
