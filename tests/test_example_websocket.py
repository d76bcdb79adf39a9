"""The WebSocket quickstart (quoted in the README) runs as documented."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from examples.websocket_quickstart.app import app

pytestmark = pytest.mark.starlette


def test_echo() -> None:
    with TestClient(app).websocket_connect("/ajax/echo?shout=true") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "HELLO"
        ws.send_bytes(b"\x01")
        assert ws.receive_bytes() == b"\x01"


def test_room_refuses_anonymous_clients_before_accept() -> None:
    client = TestClient(app)
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("/ajax/rooms/lobby"),
    ):
        pass
    assert refused.value.status_code == 401
    assert refused.value.json()["code"] == "not_authenticated"


def test_room_as_a_logged_in_user() -> None:
    client = TestClient(app, cookies={"user": "ada"})
    with client.websocket_connect("/ajax/rooms/lobby") as ws:
        assert ws.receive_json() == {"joined": "lobby", "as": "ada"}
        ws.send_json({"text": "hi"})
        assert ws.receive_json() == {"room": "lobby", "note": {"text": "hi"}}
