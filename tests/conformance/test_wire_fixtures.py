"""The golden wire fixtures (``tests/protocol/*.json``) are what the server sends.

ajaxkit.js's tests (``tests/js``) read the same files, so a change of the wire
breaks both sides at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ajaxkit.live.events import Event, open_frame, reset_frame
from tests.conformance.clients.base import Client

FIXTURES = Path(__file__).resolve().parent.parent / "protocol"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


PROBLEMS = _load("problems.json")
SSE = _load("sse.json")
BATCH = _load("batch.json")


def _send(client: Client, request: dict[str, Any]) -> Any:
    return client.request(
        request["method"],
        request["path"],
        params=request.get("params"),
        json=request.get("json"),
    )


def _sorted_errors(body: dict[str, Any]) -> dict[str, Any]:
    # The order of field errors is pydantic's, not part of the wire contract.
    if "errors" in body:
        body = {**body, "errors": sorted(body["errors"], key=json.dumps)}
    return body


@pytest.mark.parametrize("case", PROBLEMS["cases"], ids=lambda case: case["name"])
def test_problem_documents_match_the_fixtures(client: Client, case: dict[str, Any]) -> None:
    response = _send(client, case["request"])
    expected = case["response"]
    assert response.status == expected["status"]
    for name, value in expected["headers"].items():
        assert response.headers[name] == value
    assert _sorted_errors(json.loads(response.content)) == _sorted_errors(expected["body"])


def test_csrf_refusal_matches_the_fixture(client: Client, needs: Any) -> None:
    needs("csrf")
    client.enforce_csrf()
    case = PROBLEMS["csrf_failed"]
    response = _send(client, case["request"])
    body = json.loads(response.content)
    expected = case["response"]["body"]
    assert response.status == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert {k: body[k] for k in ("type", "title", "status", "code", "instance")} == {
        k: expected[k] for k in ("type", "title", "status", "code", "instance")
    }


@pytest.mark.parametrize("pair", BATCH["pairs"], ids=lambda pair: pair["name"])
def test_batch_pairs_match_the_server(client: Client, pair: dict[str, Any]) -> None:
    response = client.post("/ajax/_batch", json=pair["request"])
    assert response.status == 200
    answer = json.loads(response.content)
    items = answer["items"]
    assert [item["status"] for item in items] == [i["status"] for i in pair["response"]["items"]]
    for got, want in zip(items, pair["response"]["items"], strict=True):
        assert _sorted_errors(got["body"]) == _sorted_errors(want["body"])
        assert got["headers"]["content-type"] == want["headers"]["content-type"]
        assert got.get("encoding") == want.get("encoding")
    assert answer.get("committed") == pair["response"].get("committed")


@pytest.mark.parametrize("frame", SSE["frames"], ids=lambda frame: frame["kind"])
def test_sse_frames_match_the_fixtures(frame: dict[str, Any]) -> None:
    if frame["kind"] == "open":
        built = open_frame(frame["cursor"], frame["head"], frame["retry_ms"])
    elif frame["kind"] == "reset":
        built = reset_frame(frame["cursor"])
    else:
        data = json.dumps(frame["data"], separators=(",", ":")).encode()
        built = Event.build(frame["topic"], (0, 0), frame["id"], data).frame
    assert built.decode() == frame["text"]


def test_long_poll_answer_has_the_fixtures_shape(client: Client) -> None:
    start = client.post("/ajax/live/publish", json={"topic": "chat/lobby", "n": [0]}).json()
    client.post("/ajax/live/publish", json={"topic": "chat/lobby", "n": [1, 2]})
    response = client.get(
        "/ajax/_live/poll", params={"topic": "chat/lobby", "cursor": start["cursor"]}
    )
    body, expected = response.json(), SSE["poll"]
    assert body.keys() == expected.keys()
    assert [event.keys() for event in body["events"]] == [e.keys() for e in expected["events"]]
    assert body["cursor"] == body["events"][-1]["id"]
    assert body["events"][0]["topic"] == "chat/lobby"
