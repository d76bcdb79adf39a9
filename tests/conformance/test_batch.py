"""Rules K (the batch endpoint) of docs/protocol.md, on every client."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.clock import ManualClock
from tests.conformance.app import (
    BINARY_BODY,
    BOM,
    PROXY_HEADERS,
    STREAM_CLOSED,
    Ledger,
    build_api,
)
from tests.conformance.clients.base import Client, Response
from tests.conformance.clients.reference import NATIVES
from tests.conformance.test_csrf import CROSS_SITE, legit


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


def test_K1_an_item_its_endpoint_does_not_answer_is_a_405_of_its_own(client: Client) -> None:
    alone = client.get("/ajax/only-post")
    items = [{"path": "only-post"}, {"method": "PUT", "path": "_batch"}, {"path": "hello"}]
    answers = _answers(_batch(client, items))
    assert [a["status"] for a in answers] == [405, 405, 200]
    assert answers[0]["body"] == alone.json()
    assert answers[0]["headers"]["allow"] == alone.headers["allow"]
    assert answers[1]["body"]["instance"] == "/ajax/_batch"


@pytest.mark.parametrize("path", ["only-post", "_batch"])
def test_K1_an_item_with_a_method_its_endpoint_does_not_answer_gets_its_own_405(
    client: Client, path: str
) -> None:
    # GET is an item's default method; neither route answers it.  The item
    # is answered 405 as if sent alone, not the batch.
    alone = client.get(f"/ajax/{path}")
    answers = _answers(_batch(client, [{"path": "hello"}, {"path": path}]))
    assert [a["status"] for a in answers] == [200, 405]
    assert answers[1]["body"] == alone.json()
    assert answers[1]["headers"]["allow"] == alone.headers["allow"]


def test_K1_a_native_response_item_is_read_through_the_platform(client: Client) -> None:
    alone = client.get("/ajax/native")
    answers = _answers(_batch(client, [{"path": "native"}]))
    assert (answers[0]["status"], answers[0]["body"]) == (alone.status, alone.text)


def test_K1_a_binary_item_answer_is_given_in_base64_byte_for_byte(
    client: Client, needs: Any
) -> None:
    needs("native")
    alone = client.get("/ajax/native/binary")
    assert alone.content == BINARY_BODY
    answers = _answers(_batch(client, [{"path": "native/binary"}, {"path": "native"}]))
    assert answers[0]["status"] == alone.status
    assert answers[0]["encoding"] == "base64"
    assert base64.b64decode(answers[0]["body"], validate=True) == alone.content
    assert answers[0]["headers"]["content-type"] == "image/png"
    # A text answer stays text, with no encoding.
    assert answers[1]["body"] == "I'm a teapot"
    assert "encoding" not in answers[1]


def test_K1_a_text_item_answer_that_is_not_utf8_is_given_in_base64(
    client: Client, needs: Any
) -> None:
    needs("native")
    alone = client.get("/ajax/native/latin1")
    answers = _answers(_batch(client, [{"path": "native/latin1"}]))
    assert answers[0]["encoding"] == "base64"
    assert base64.b64decode(answers[0]["body"], validate=True) == alone.content


def _fetched_text(response: Response) -> str:
    """A body as ``fetch()``'s ``text()`` reads it: UTF-8, one leading BOM dropped."""
    return response.content.removeprefix(BOM).decode("utf-8")


def test_K12_an_item_body_reads_as_fetch_reads_it_alone(client: Client) -> None:
    paths = ["status/empty", "status/bom/text", "status/bom/json", "nothing"]
    alone = [client.get(f"/ajax/{path}") for path in paths]
    answers = _answers(_batch(client, [{"path": path} for path in paths]))
    assert [a["status"] for a in answers] == [r.status for r in alone]
    empty, text, json, nothing = answers
    assert empty["body"] == _fetched_text(alone[0]) == ""
    assert text["body"] == _fetched_text(alone[1]) == '{"ok": true}'
    assert json["body"] == orjson.loads(_fetched_text(alone[2])) == {"ok": True}
    assert nothing["body"] == _fetched_text(alone[3]) == ""
    assert not any("encoding" in answer for answer in answers)


def _joined(values: list[str]) -> str:
    """A repeated field's values as one line, however many lines the server used."""
    return ", ".join(part.strip() for value in values for part in value.split(","))


def test_K1_an_answer_that_is_not_the_json_it_says_is_given_as_text(client: Client) -> None:
    alone = client.get("/ajax/status/not-json")
    answers = _answers(_batch(client, [{"path": "status/not-json"}, {"path": "hello"}]))
    assert (answers[0]["status"], answers[0]["body"]) == (alone.status, alone.text)
    assert answers[0]["headers"]["content-type"] == "application/json"
    assert answers[1]["status"] == 200


def test_K1_a_repeated_header_keeps_every_value(client: Client) -> None:
    alone = client.post("/ajax/cookies/set")
    answers = _answers(_batch(client, [{"method": "POST", "path": "cookies/set", "body": {}}]))
    assert answers[0]["headers"]["link"] == _joined(alone.header_list("link"))
    assert answers[0]["headers"]["link"] == "</a>; rel=preload, </b>; rel=preload"


def test_K4_a_native_response_item_keeps_its_headers_and_sets_its_cookies(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("native")
    alone = client.get("/ajax/native/cookies")
    response = _batch(client, [{"path": "native/cookies"}, {"path": "hello"}])
    answer = _answers(response)[0]
    assert (answer["status"], answer["body"]) == (200, {"native": True})
    assert answer["headers"]["x-native"] == "1"
    assert answer["headers"]["content-type"] == alone.headers["content-type"]
    assert answer["headers"]["link"] == _joined(alone.header_list("link"))
    assert answer["headers"]["link"] == "</a>; rel=preload, </b>; rel=preload"
    # Set on the batch response as sent alone; never shown to the page's script.
    native = {"native_session", "native_seen"}
    assert _cookies_named(response, native) == _cookies_named(alone, native)
    assert len(_cookies_named(alone, native)) == 2
    assert "set-cookie" not in answer["headers"]
    assert "s3cret" not in response.text


def _cookies_named(response: Response, names: set[str]) -> list[str]:
    """The ``Set-Cookie`` values of ``names``, an ``Expires`` date left as ``<date>``.

    The framework writes that date from ``Max-Age`` when it sends the
    cookie: the batch and the request sent alone are a moment apart, and
    once fell on either side of a second.
    """
    found = [c for c in response.header_list("set-cookie") if c.split("=", 1)[0] in names]
    return sorted(_EXPIRES.sub("Expires=<date>", c) for c in found)


_EXPIRES = re.compile(r"(?i)expires=[^;]*")


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


def test_K1_an_items_header_replaces_the_batch_requests_of_that_name(client: Client) -> None:
    # As a fetch()'s own header replaces the browser's: sent alone, the item's
    # request would carry its own Accept only (ajaxkit.js coalesces a call
    # asking for text/csv into a batch sent with the client's defaults).
    names = ["accept", "accept-language"]
    item = {"path": "headers/seen", "params": {"names": names}, "headers": {"ACCEPT": "text/csv"}}
    sent = {"Accept": "application/json", "Accept-Language": "fr"}
    answers = _answers(_batch(client, [item, {**item, "headers": {}}], **sent))
    assert answers[0]["body"] == {"accept": "text/csv", "accept-language": "fr"}
    assert answers[1]["body"] == {"accept": "application/json", "accept-language": "fr"}


def test_K3_an_item_cannot_misdescribe_the_body_the_batch_writes(client: Client) -> None:
    # The batch writes an item's body: a length or coding of the item's own
    # would describe some other body (and make the item a 413 or a 400).
    framing = {"Content-Length": "99999999", "Transfer-Encoding": "chunked"}
    item = {"method": "POST", "path": "echo", "body": {"a": "b"}}
    answers = _answers(_batch(client, [{**item, "headers": framing}, {**item, "headers": {}}]))
    assert answers[0] == answers[1]
    assert (answers[0]["status"], answers[0]["body"]) == (200, {"a": "b"})


def test_K3_an_item_cannot_write_what_a_proxy_says_of_the_caller(client: Client) -> None:
    # A proxy overwrites these on the batch request; nothing overwrites an item's.
    proxy = {"x-real-ip": "203.0.113.7", "x-forwarded-proto": "https"}
    forged = {name.upper(): "10.0.0.1" for name in PROXY_HEADERS}
    response = _batch(client, [{"path": "proxy-headers", "headers": forged}], **proxy)
    assert _answers(response)[0]["body"] == {name: proxy.get(name) for name in PROXY_HEADERS}


def test_K4_cookies_set_by_items_are_set_on_the_batch_response(client: Client) -> None:
    response = _batch(client, [{"method": "POST", "path": "cookies/set", "body": {}}])
    names = {c.split("=", 1)[0] for c in response.header_list("set-cookie")}
    assert {"theme", "lang"} <= names


def test_K4_a_set_cookie_header_an_item_wrote_is_set_never_shown(client: Client) -> None:
    alone = client.post("/ajax/cookies/raw")
    response = _batch(client, [{"method": "POST", "path": "cookies/raw"}])
    assert response.header_list("set-cookie") == alone.header_list("set-cookie")
    assert len(alone.header_list("set-cookie")) == 2
    # An HttpOnly cookie is kept from the page's script: so is its value.
    assert "set-cookie" not in _answers(response)[0]["headers"]
    assert "s3cret" not in response.text


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


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_K5_a_stream_item_is_refused_naming_itself_and_its_stream_is_closed(
    client: Client, kind: str
) -> None:
    run = uuid.uuid4().hex
    params = {"run": run, "kind": kind}
    answers = _answers(_batch(client, [{"path": "stream/held", "params": params}]))
    assert answers[0]["status"] == 400
    assert answers[0]["body"]["code"] == "bad_request"
    assert "GET stream/held" in answers[0]["body"]["detail"]
    assert "send it on its own" in answers[0]["body"]["detail"]
    # Never sent, the handler's chunks are still released (a file, a cursor).
    assert STREAM_CLOSED.get(run) is True


def test_K5_a_framework_stream_item_is_refused_as_a_stream(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("native")
    assert client.get("/ajax/native/stream").text == "a\nb\n"
    answers = _answers(_batch(client, [{"path": "native/stream"}, {"path": "hello"}]))
    assert [a["status"] for a in answers] == [400, 200]
    assert answers[0]["body"]["code"] == "bad_request"
    assert "GET native/stream cannot be an item of a batch" in answers[0]["body"]["detail"]


def test_K1_a_head_item_has_no_body_whatever_its_handler_returned(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("native")
    paths = ["native", "native/cookies", "hello"]
    alone = [client.request("HEAD", f"/ajax/{path}") for path in paths]
    answers = _answers(_batch(client, [{"method": "HEAD", "path": path} for path in paths]))
    assert [r.content for r in alone] == [b""] * 3
    # No body, read as fetch() reads one (K12).
    assert [(a["status"], a["body"]) for a in answers] == [(r.status, "") for r in alone]
    assert answers[1]["headers"]["x-native"] == "1"


def test_K5_a_head_item_of_a_stream_answers_as_sent_alone(client: Client) -> None:
    alone = client.request("HEAD", "/ajax/stream/sync")
    answers = _answers(_batch(client, [{"method": "HEAD", "path": "stream/sync"}]))
    assert (answers[0]["status"], answers[0]["body"]) == (alone.status, _fetched_text(alone))
    assert answers[0]["headers"]["content-type"] == alone.headers["content-type"]


def test_K5_the_live_stream_is_refused_without_running(client: Client) -> None:
    # Its topic needs a staff user: run, it would answer 403 to this one.
    answers = _answers(_batch(client, [{"path": "_live/sse", "params": {"topic": "staff"}}]))
    assert answers[0]["status"] == 400
    assert answers[0]["body"]["code"] == "bad_request"
    assert "GET _live/sse cannot be an item of a batch" in answers[0]["body"]["detail"]


def test_K5_a_batch_item_is_refused_however_its_path_is_spelled(client: Client) -> None:
    inner = {"items": [{"path": "hello"}]}
    paths = ["_batch?x=1", "/_batch/?", "_batch/?items=1", "%5Fbatch", "_b%61tch#x"]
    answers = _answers(
        _batch(client, [{"method": "POST", "path": path, "body": inner} for path in paths])
    )
    assert [a["status"] for a in answers] == [400] * 5
    assert {a["body"]["code"] for a in answers} == {"bad_request"}


def test_K5_a_long_poll_item_is_refused_without_waiting(client: Client) -> None:
    head = client.get("/ajax/_live/poll", params={"topic": "news"}).json()["cursor"]
    # A timeout of its own, so that a poll wrongly run answers (200) soon.
    poll = {"path": "_live/poll", "params": {"topic": "news", "cursor": head, "timeout": 1}}
    answers = _answers(_batch(client, [poll, {"path": "_live/poll?topic=news"}, {"path": "hello"}]))
    assert [a["status"] for a in answers] == [400, 400, 200]
    assert {a["body"]["code"] for a in answers[:2]} == {"bad_request"}
    assert "long-poll" in answers[0]["body"]["detail"]
    assert "_live/poll" in answers[0]["body"]["detail"]


def test_K5_an_item_the_batch_refuses_carries_what_every_answer_does(client: Client) -> None:
    # Y1 and Y2 hold for each item as for the item sent alone: nosniff, and
    # no-store for a signed-in user's, also where the batch itself answers.
    client.login("bob")
    alone = client.get("/ajax/hello").headers
    nested: dict[str, Any] = {"method": "POST", "path": "_batch", "body": {"items": []}}
    items = [nested, {"path": "stream/sync"}, {"path": "_live/poll?topic=news"}, {"path": "hello"}]
    answers = _answers(_batch(client, items))
    assert [a["status"] for a in answers] == [400, 400, 400, 200]
    for answer in answers:
        assert answer["headers"]["x-content-type-options"] == alone["x-content-type-options"]
        assert answer["headers"]["cache-control"] == alone["cache-control"]


def test_K1_a_query_in_an_item_path_is_read_as_sent_alone(client: Client) -> None:
    alone = client.get("/ajax/users/search?q=al&limit=3")
    answers = _answers(
        _batch(
            client,
            [
                {"path": "users/search?q=al&limit=3"},
                {"path": "users/search?q=al", "params": {"limit": 3}},
            ],
        )
    )
    assert alone.json() == {"q": "al", "limit": 3}
    assert [(a["status"], a["body"]) for a in answers] == [(200, alone.json())] * 2


@pytest.mark.parametrize("path", ["ledger/caf%C3%A9", "ledger/100%25", "ledger/a%3Fb", "h%65llo"])
def test_K1_an_item_path_is_read_as_a_url_path_is(client: Client, path: str) -> None:
    # The client coalescing calls sends as an item the path it would have
    # fetched: percent-escapes are read, as a server reads a URL's (U10).
    alone = client.get(f"/ajax/{path}")
    answers = _answers(_batch(client, [{"path": path}, {"path": f"{path}#fragment"}]))
    assert alone.status == 200
    assert [(a["status"], a["body"]) for a in answers] == [(200, alone.json())] * 2


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


@pytest.mark.parametrize("method", [None, "GET", "HEAD"])
def test_K6_a_body_on_an_item_that_sends_none_is_422_before_any_runs(
    client: Client, method: str | None
) -> None:
    # {"path": "users/search", "body": {...}} forgets the method: a GET,
    # whose body nothing reads.  Refused, not answered as if it had none.
    item: dict[str, Any] = {"path": "users/search", "body": {"q": "al"}}
    if method is not None:
        item["method"] = method
    items = [{"method": "POST", "path": "cookies/set", "body": {}}, item]
    response = _batch(client, items)
    assert response.status == 422, response
    problem = response.json()
    assert problem["code"] == "validation_failed"
    [error] = problem["errors"]
    assert error["pointer"] == "#/items/1/body"
    assert error["code"] == "body_not_sent"
    assert "params" in error["detail"]
    assert not response.header_list("set-cookie")


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


@pytest.fixture
def exempt_batch(client_class: type[Client]) -> Iterator[Client]:
    """A signed-in victim's browser, holding a CSRF cookie, on an app whose
    batch endpoint is ``csrf_exempt`` (as for token clients)."""
    api = build_api(NATIVES, batch_options={"csrf_exempt": True})
    client = client_class(apis={"/ajax": api})
    try:
        if "csrf" not in client.capabilities:
            pytest.skip(f"{client.name} has no 'csrf' capability")
        client.login("victim")
        client.enforce_csrf()
        client.csrf_token()
        yield client
    finally:
        client.close()


def test_K7_an_exempt_batch_checks_each_unsafe_item_as_if_sent_alone(
    exempt_batch: Client,
) -> None:
    client, name = exempt_batch, f"x{uuid.uuid4().hex}"
    items = [
        _write(name, 1),
        {"method": "POST", "path": "submit-exempt", "body": {}},
        {"path": "hello"},
    ]
    forged = _answers(_batch(client, items, **CROSS_SITE))
    assert [a["status"] for a in forged] == [403, 200, 200]
    assert forged[0]["body"]["code"] == "csrf_failed"
    assert "cross-site" in forged[0]["body"]["detail"]
    assert _stored(client, name) is None  # the refused item's handler never ran
    own = legit(client, {"Origin": client.origin, "Sec-Fetch-Site": "same-origin"})
    passed = _answers(_batch(client, items, **own))
    assert [a["status"] for a in passed] == [201, 200, 200]
    assert _stored(client, name) == 1


def _atomic(client: Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response
    answer: dict[str, Any] = response.json()
    return answer


def _write(name: str, amount: Any, **headers: str) -> dict[str, Any]:
    body = {"amount": amount}
    return {"method": "POST", "path": f"ledger/{name}", "body": body, "headers": headers}


def _cookie(name: str, kind: str = "cookie") -> dict[str, Any]:
    """A write setting a cookie: on an ajaxkit result, or (``native-cookie``)
    on the framework's own response."""
    return {"method": "POST", "path": f"ledger/{name}/{kind}", "body": {"amount": 1}}


def _stored(client: Client, name: str) -> Any:
    return client.get(f"/ajax/ledger/{name}").json()["amount"]


def test_K8_an_atomic_batch_commits_every_item_together(client: Client) -> None:
    a, b = f"a{uuid.uuid4().hex}", f"b{uuid.uuid4().hex}"
    answer = _atomic(client, [_write(a, 1), _write(b, 2), {"path": f"ledger/{a}"}])
    assert answer["committed"] is True
    assert [i["status"] for i in answer["items"]] == [201, 201, 200]
    # The third item reads the first one's write: the same transaction.
    assert answer["items"][2]["body"] == {"name": a, "amount": 1}
    assert (_stored(client, a), _stored(client, b)) == (1, 2)
    cookie = client.post("/ajax/_batch", json={"items": [_cookie(a)], "atomic": True})
    assert f"ledger_{a}" in {c.split("=", 1)[0] for c in cookie.header_list("set-cookie")}


def test_K8_a_committed_batch_sets_a_framework_responses_cookies(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("native")
    a = f"a{uuid.uuid4().hex}"
    response = client.post(
        "/ajax/_batch", json={"items": [_cookie(a, "native-cookie")], "atomic": True}
    )
    assert response.json()["committed"] is True
    assert f"ledger_{a}" in {c.split("=", 1)[0] for c in response.header_list("set-cookie")}


def test_K8_a_plain_batch_says_nothing_of_commits(client: Client) -> None:
    response = _batch(client, [{"path": "hello"}])
    assert "committed" not in response.json()


@pytest.mark.parametrize("kind", ["cookie", "native-cookie"])
def test_K9_a_failing_item_rolls_the_whole_atomic_batch_back(
    client: Client, needs: Callable[[str], None], kind: str
) -> None:
    if kind == "native-cookie":
        needs("native")
    a, b, c = (f"{n}{uuid.uuid4().hex}" for n in "abc")
    response = client.post(
        "/ajax/_batch",
        json={"items": [_cookie(a, kind), _write(b, "x"), _write(c, 3)], "atomic": True},
    )
    answer = response.json()
    assert answer["committed"] is False
    first, failed, never = answer["items"]
    assert (first["status"], failed["status"], never["status"]) == (424, 422, 424)
    assert failed["body"]["code"] == "validation_failed"
    assert (first["body"]["code"], never["body"]["code"]) == ("batch_rolled_back", "batch_not_run")
    assert first["body"]["failed_item"] == never["body"]["failed_item"] == 1
    assert first["headers"]["content-type"] == "application/problem+json"
    assert [_stored(client, n) for n in (a, b, c)] == [None, None, None]
    assert not [c for c in response.header_list("set-cookie") if c.startswith("ledger_")]


def test_K9_items_answered_424_carry_what_every_answer_does(client: Client) -> None:
    # Rolled back, not run, or not committed: an item's answer all the same,
    # with the nosniff (Y1) and, signed in, the no-store (Y2) of any answer.
    client.login("bob")
    a, b, c = (f"{n}{uuid.uuid4().hex}" for n in "abc")
    rolled_back = _atomic(client, [_write(a, 1), _write(b, "x"), _write(c, 3)])["items"]
    not_committed = _atomic(client, [_write(a, 1), _write(b, -1)])["items"]
    assert [i["status"] for i in rolled_back + not_committed] == [424, 422, 424, 424, 424]
    for item in rolled_back + not_committed:
        assert item["headers"]["x-content-type-options"] == "nosniff"
        assert item["headers"]["cache-control"] == "no-store"


def test_K9_an_idempotent_item_of_a_rolled_back_batch_runs_again(client: Client) -> None:
    name, key = f"k{uuid.uuid4().hex}", f'"{uuid.uuid4()}"'
    item = _write(name, 5, **{"Idempotency-Key": key})
    assert _atomic(client, [item, _write(name, "x")])["committed"] is False
    retried = _atomic(client, [item])
    assert retried["committed"] is True
    assert "idempotent-replayed" not in retried["items"][0]["headers"]
    assert _stored(client, name) == 5
    replayed = _atomic(client, [item])["items"][0]
    assert replayed["headers"]["idempotent-replayed"] == "true"


def test_K8_a_keyed_item_repeated_in_an_atomic_batch_is_replayed(client: Client) -> None:
    # Sent alone one after the other, the second is a replay of the first:
    # so it is in an atomic batch, whose first answer is not stored yet.
    name, key = f"k{uuid.uuid4().hex}", f'"{uuid.uuid4()}"'
    item = _write(name, 5, **{"Idempotency-Key": key})
    answer = _atomic(client, [item, item])
    assert answer["committed"] is True
    first, again = answer["items"]
    assert (first["status"], again["status"]) == (201, 201)
    assert again["body"] == first["body"]
    assert again["headers"]["idempotent-replayed"] == "true"
    other = f'"{uuid.uuid4()}"'
    reused = _atomic(
        client,
        [
            _write(name, 5, **{"Idempotency-Key": other}),
            _write(name, 6, **{"Idempotency-Key": other}),
        ],
    )
    assert reused["committed"] is False
    assert reused["items"][1]["body"]["code"] == "idempotency_key_reused"


def test_K10_an_item_that_cannot_join_the_transaction_is_refused_first(client: Client) -> None:
    name = f"r{uuid.uuid4().hex}"
    items = [_write(name, 1), {"path": "hello"}, {"path": "nowhere"}]
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 422
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("#/items/1/path", "not_atomic")]
    assert _stored(client, name) is None


def test_K10_an_item_of_a_method_its_endpoint_does_not_answer_fails_when_it_runs(
    client: Client,
) -> None:
    name = f"m{uuid.uuid4().hex}"
    wrong = {"method": "DELETE", "path": f"ledger/{name}"}
    answer = _atomic(client, [_write(name, 1), wrong, _write(name, 2)])
    assert answer["committed"] is False
    assert [i["status"] for i in answer["items"]] == [424, 405, 424]
    assert answer["items"][1]["body"]["code"] == "method_not_allowed"
    assert _stored(client, name) is None


def test_K10_an_atomic_batch_over_two_databases_is_refused_first(client: Client) -> None:
    name = f"v{uuid.uuid4().hex}"
    vault = {"method": "POST", "path": f"vault/{name}", "body": {"amount": 1}}
    items = [_write(name, 1), {"path": f"ledger/{name}"}, vault]
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 422
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("#/items/2/path", "other_database")]
    assert "one database" in errors[0]["detail"]
    assert _stored(client, name) is None
    # Without atomic, nothing is promised and the same items run.
    assert [a["status"] for a in _answers(_batch(client, items))] == [201, 200, 201]


def test_K11_a_failed_commit_stores_nothing_and_says_so(client: Client) -> None:
    a, b, key = f"a{uuid.uuid4().hex}", f"b{uuid.uuid4().hex}", f'"{uuid.uuid4()}"'
    # Every item succeeds; the ledger refuses the negative amount at commit.
    items = [_cookie(a), _write(a, 1, **{"Idempotency-Key": key}), _write(b, -1)]
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200
    answer = response.json()
    assert answer["committed"] is False
    assert [i["status"] for i in answer["items"]] == [424, 424, 424]
    assert {i["body"]["code"] for i in answer["items"]} == {"batch_not_committed"}
    assert all("failed_item" not in i["body"] for i in answer["items"])
    assert "commit" in answer["items"][0]["body"]["detail"]
    assert [_stored(client, n) for n in (a, b)] == [None, None]
    assert not [c for c in response.header_list("set-cookie") if c.startswith("ledger_")]
    # The idempotent item's answer was not stored: a retry runs it again.
    retried = _atomic(client, [_write(a, 1, **{"Idempotency-Key": key})])
    assert retried["committed"] is True
    assert "idempotent-replayed" not in retried["items"][0]["headers"]
    assert _stored(client, a) == 1


def test_K11_a_batch_whose_commit_was_refused_is_not_stored_under_its_own_key(
    client: Client,
) -> None:
    # Nothing was written: as for a server error (I4), a retry of the batch
    # with its Idempotency-Key runs again, never replays the refusal (the
    # commit may have failed on a lost connection).
    name, key = f"a{uuid.uuid4().hex}", {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    refused = {"items": [_write(name, -1)], "atomic": True}
    assert client.post("/ajax/_batch", json=refused, headers=key).json()["committed"] is False
    retried = client.post("/ajax/_batch", json=refused, headers=key)
    assert retried.json()["committed"] is False
    assert "idempotent-replayed" not in retried.headers
    # A committed batch is stored, as any answer is (I1).
    committed = {"items": [_write(name, 1)], "atomic": True}
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    assert client.post("/ajax/_batch", json=committed, headers=key).json()["committed"] is True
    replayed = client.post("/ajax/_batch", json=committed, headers=key)
    assert replayed.headers["idempotent-replayed"] == "true"


def test_K9_a_batch_rolled_back_by_a_server_error_is_not_stored_under_its_own_key(
    client_class: type[Client],
) -> None:
    # The item's 500 sent alone is not stored (I4), and nothing was written:
    # a retry of the batch with its Idempotency-Key runs it again.
    api, ledger, attempts = Ajax(), Ledger(), []

    @api.endpoint("flaky/{name}", methods=["POST"], transactions=[ledger])
    def flaky(request: AjaxRequest, name: str) -> Any:
        attempts.append(name)
        if len(attempts) == 1:
            raise RuntimeError("the first attempt fails")
        return {"name": name}, 201

    api.batch()
    client = client_class(apis={"/ajax": api})
    try:
        body = {"items": [{"method": "POST", "path": "flaky/a", "body": {}}], "atomic": True}
        key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        first = client.post("/ajax/_batch", json=body, headers=key).json()
        assert (first["committed"], first["items"][0]["status"]) == (False, 500)
        retried = client.post("/ajax/_batch", json=body, headers=key)
        assert "idempotent-replayed" not in retried.headers
        assert (retried.json()["committed"], attempts) == (True, ["a", "a"])
    finally:
        client.close()


def test_K1_what_describes_the_batch_body_is_not_an_items(client: Client) -> None:
    # Sent alone, the item has no such headers: the batch's describe the
    # batch's own body (a digest of it would fail every item's check).
    sent = {
        "Content-Encoding": "identity",
        "Content-Language": "fr",
        "Content-Location": "/ajax/_batch",
        "Content-Digest": "sha-256=:AAAA:",
        "Repr-Digest": "sha-256=:AAAA:",
        "Digest": "SHA-256=AAAA",
        "Content-MD5": "AAAA",
    }
    names = [name.lower() for name in sent]
    item = {"path": "headers/seen", "params": {"names": names}}
    seen = _answers(_batch(client, [item], **sent))[0]["body"]
    assert seen == dict.fromkeys(names)


def test_K9_a_batch_rolled_back_by_an_items_429_runs_again_once_admitted(
    client_class: type[Client],
) -> None:
    # The 429 asks for this very retry (I4): stored under the batch's key,
    # the retry got the refusal again until the key expired.
    clock = ManualClock(1_700_000_040.0)
    api, ledger = Ajax(clock=clock), Ledger()

    @api.endpoint("scarce/{name}", methods=["POST"], transactions=[ledger], rate="1/minute")
    def scarce(request: AjaxRequest, name: str) -> Any:
        return {"name": name}, 201

    api.batch()
    client = client_class(apis={"/ajax": api})
    try:
        item = {"method": "POST", "path": "scarce/a", "body": {}}
        assert client.post("/ajax/scarce/a", json={}).status == 201
        body, key = {"items": [item], "atomic": True}, {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        first = client.post("/ajax/_batch", json=body, headers=key).json()
        assert (first["committed"], first["items"][0]["status"]) == (False, 429)
        clock.advance(60)
        retried = client.post("/ajax/_batch", json=body, headers=key)
        assert "idempotent-replayed" not in retried.headers
        assert retried.json()["committed"] is True
    finally:
        client.close()
