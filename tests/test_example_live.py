"""The live chat example (quoted in docs/live.md) works as documented."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from examples.live_chat.app import app

pytestmark = pytest.mark.starlette


def test_a_message_said_in_a_room_reaches_a_long_poll_subscriber() -> None:
    client = TestClient(app)
    start = client.get("/ajax/_live/poll", params={"topic": "chat/lobby"}).json()["cursor"]
    said = client.post("/ajax/chat/lobby", data={"text": "hi"})
    assert said.status_code == 201
    polled = client.get("/ajax/_live/poll", params={"topic": "chat/lobby", "cursor": start})
    events = polled.json()["events"]
    assert [(e["topic"], e["data"]) for e in events] == [("chat/lobby", {"text": "hi"})]
    assert events[0]["id"] == said.json()["cursor"]


def test_the_staff_room_is_refused() -> None:
    response = TestClient(app).get("/ajax/_live/poll", params={"topic": "chat/staff"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
