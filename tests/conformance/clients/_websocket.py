"""WebSocket sessions through Starlette's TestClient, which drives any ASGI app.

The Starlette and FastAPI clients use it on their own app; the Django ASGI
client on Django's application wrapped by :func:`ajaxkit.django.asgi`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from starlette.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession
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


@contextmanager
def _closes() -> Iterator[None]:
    try:
        yield
    except WebSocketDisconnect as closed:
        raise WsClosed(closed.code, closed.reason or "") from None


@contextmanager
def websocket_session(
    http: TestClient, path: str, headers: dict[str, str] | None = None
) -> Iterator[WsSession]:
    """Open ``path`` on ``http``'s app; a refused handshake raises :class:`WsRefused`."""
    with ExitStack() as stack:
        try:
            session = stack.enter_context(http.websocket_connect(path, headers=dict(headers or {})))
        except WebSocketDenialResponse as denial:
            problem = denial.json()
            raise WsRefused(denial.status_code, problem["code"], problem) from None
        except WebSocketDisconnect as closed:
            # Refused with a close frame: 4000 + status, the code as reason.
            reason = closed.reason or ""
            status = 500 if closed.code == 1011 else closed.code - 4000
            raise WsRefused(status, reason.partition(" ")[0]) from None
        yield _Session(session)
