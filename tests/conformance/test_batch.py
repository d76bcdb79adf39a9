"""Rules K (the batch endpoint) of docs/protocol.md, on every client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conformance.clients.base import Client, Response


def _batch(client: Client, items: list[dict[str, Any]], **headers: str) -> Response:
    return client.post("/ajax/_batch", json={"items": items}, headers=headers or None)


def _answers(response: Response) -> list[dict[str, Any]]:
    assert response.status == 200, response
    answers: list[dict[str, Any]] = response.json()["items"]
    return answers


def test_K1_items_answer_in_order_as_if_sent_alone(client: Client) -> None:
    alone = [
        client.get("/ajax/hello"),
        client.get("/ajax/users/search", params={"q": "al", "limit": 3}),
        client.post("/ajax/status/created", json={}),
        client.get("/ajax/params/required", params={"title": "t", "count": "many"}),
        client.get("/ajax/nowhere"),
    ]
    answers = _answers(
        _batch(
            client,
            [
                {"path": "hello"},
                {"path": "users/search", "params": {"q": "al", "limit": 3}},
                {"method": "POST", "path": "status/created", "body": {}},
                {"path": "params/required", "params": {"title": "t", "count": "many"}},
                {"path": "nowhere"},
            ],
        )
    )
    assert [a["status"] for a in answers] == [r.status for r in alone]
    assert [a["body"] for a in answers] == [r.json() for r in alone]
    assert answers[3]["headers"]["content-type"] == "application/problem+json"


def test_K1_a_native_response_item_is_read_through_the_platform(client: Client) -> None:
    alone = client.get("/ajax/native")
    answers = _answers(_batch(client, [{"path": "native"}]))
    assert (answers[0]["status"], answers[0]["body"]) == (alone.status, alone.text)


def test_K2_every_item_is_admitted_on_its_own(client: Client) -> None:
    items = [{"path": "whoami"}, {"path": "admin-only"}, {"path": "hello"}]
    anonymous = _answers(_batch(client, items))
    assert [a["status"] for a in anonymous] == [401, 401, 200]
    client.login("bob")
    bob = _answers(_batch(client, items))
    assert [a["status"] for a in bob] == [200, 403, 200]
    assert bob[0]["body"] == {"username": "bob"}


def test_K3_an_item_cannot_bring_its_own_identity(client: Client) -> None:
    forged = {"Cookie": "sessionid=stolen; a=1", "Authorization": "Bearer x"}
    answers = _answers(_batch(client, [{"path": "cookies/echo", "headers": forged}]))
    assert "a" not in answers[0]["body"]
    assert answers[0]["body"].get("sessionid") != "stolen"


def test_K4_cookies_set_by_items_are_set_on_the_batch_response(client: Client) -> None:
    response = _batch(client, [{"method": "POST", "path": "cookies/set", "body": {}}])
    names = {c.split("=", 1)[0] for c in response.header_list("set-cookie")}
    assert {"theme", "lang"} <= names


def test_K5_nested_batches_and_streams_are_refused_per_item(client: Client) -> None:
    answers = _answers(
        _batch(
            client,
            [
                {"method": "POST", "path": "_batch", "body": {"items": [{"path": "hello"}]}},
                {"path": "stream/sync"},
                {"path": "hello"},
            ],
        )
    )
    assert [a["status"] for a in answers] == [400, 400, 200]
    assert answers[0]["body"]["code"] == "bad_request"


def test_K6_an_invalid_batch_is_422_with_pointers(client: Client) -> None:
    empty = client.post("/ajax/_batch", json={"items": []})
    assert empty.status == 422
    assert empty.json()["errors"][0]["pointer"] == "#/items"
    too_many = client.post("/ajax/_batch", json={"items": [{"path": "hello"}] * 6})
    assert too_many.status == 422
    unknown = client.post("/ajax/_batch", json={"items": [{"path": "hello", "verb": "GET"}]})
    assert unknown.status == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/items/0/verb"
    method = client.post("/ajax/_batch", json={"items": [{"path": "hello", "method": "TRACE"}]})
    assert method.status == 422


def test_K7_csrf_is_checked_once_for_the_whole_batch(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("csrf")
    client.enforce_csrf()
    item = {"method": "POST", "path": "submit", "body": {}}
    assert client.post("/ajax/_batch", json={"items": [item]}).status == 403
    token = client.csrf_token()
    answers = _answers(_batch(client, [item, item], **{"X-CSRFToken": token}))
    assert [a["status"] for a in answers] == [200, 200]
