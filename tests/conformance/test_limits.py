"""Rules R (rate limits) and I (Idempotency-Key) of docs/protocol.md, on every client.

Each test mounts its own registry with a :class:`ManualClock` and fresh
in-process stores, so counts never leak between tests and time moves
without sleeping.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest, Stream, TooManyRequests
from ajaxkit.core.clock import ManualClock
from tests.conformance.clients.base import Client

WINDOW_START = 1_700_000_020.0  # 20 s before a minute boundary


class Mounted:
    """A registry with rate-limited and idempotent endpoints, and what they saw."""

    def __init__(self, **settings: Any) -> None:
        self.clock = ManualClock(WINDOW_START)
        self.api = Ajax(clock=self.clock, **settings)
        self.calls: list[str] = []
        self.release = threading.Event()
        self.entered = threading.Event()
        self._register()

    def _register(self) -> None:
        api, calls = self.api, self.calls

        @api.endpoint("limited", methods=["GET", "POST"], rate="3/minute")
        def limited(request: AjaxRequest) -> dict[str, bool]:
            calls.append("limited")
            return {"ok": True}

        @api.endpoint("two-limits", rate=["2/second", "5/minute"])
        def two_limits(request: AjaxRequest) -> dict[str, bool]:
            return {"ok": True}

        @api.endpoint("by-ip", rate="1/minute", rate_key="ip")
        def by_ip(request: AjaxRequest) -> dict[str, bool]:
            return {"ok": True}

        @api.endpoint("private", rate="2/minute", login_required=True)
        def private(request: AjaxRequest) -> dict[str, bool]:
            return {"ok": True}

        @api.endpoint("fails", rate="5/minute")
        def fails(request: AjaxRequest) -> None:
            raise RuntimeError("boom")

        self._register_idempotent()

    def _register_idempotent(self) -> None:
        api, calls = self.api, self.calls

        @api.endpoint("notes", methods=["POST", "PATCH"])
        def create(request: AjaxRequest, title: str) -> tuple[dict[str, Any], int]:
            calls.append(title)
            return {"id": len(calls), "title": title}, 201

        @api.endpoint("required", methods=["POST"], idempotency="required")
        def required(request: AjaxRequest) -> dict[str, bool]:
            return {"ok": True}

        @api.endpoint("slow", methods=["POST"])
        def slow(request: AjaxRequest) -> dict[str, bool]:
            self.entered.set()
            assert self.release.wait(10)
            calls.append("slow")
            return {"ok": True}

        @api.endpoint("flaky", methods=["POST"])
        def flaky(request: AjaxRequest) -> dict[str, int]:
            calls.append("flaky")
            if len(calls) == 1:
                raise RuntimeError("first attempt fails")
            return {"attempt": len(calls)}

        @api.endpoint("busy", methods=["POST"])
        def busy(request: AjaxRequest) -> dict[str, int]:
            # A handler's own "try again later": its quota, a lock it waits for.
            calls.append("busy")
            if len(calls) == 1:
                raise TooManyRequests("The export queue is full.", headers={"Retry-After": "1"})
            return {"attempt": len(calls)}

        @api.endpoint("streamed", methods=["POST"])
        def streamed(request: AjaxRequest) -> Stream:
            calls.append("streamed")
            return Stream(iter([b"a", b"b"]), media_type="text/plain")

        @api.endpoint("sign-in", methods=["POST"])
        def sign_in(request: AjaxRequest, name: str) -> Any:
            # A handler writing its session cookie as a raw header (cookies
            # set with AjaxResponse.set_cookie are never stored at all).
            calls.append(name)
            return {"name": name}, 200, {"Set-Cookie": f"session=s-{name}; HttpOnly; Path=/"}


@pytest.fixture
def mounted() -> Mounted:
    return Mounted()


@pytest.fixture
def app(client_class: type[Client], mounted: Mounted) -> Iterator[Client]:
    client = client_class(apis={"/ajax": mounted.api})
    try:
        yield client
    finally:
        client.close()


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f'"{uuid.uuid4()}"'}


# --- R: rate limits ------------------------------------------------------------


def test_R1_limited_responses_carry_ratelimit_fields(app: Client) -> None:
    remaining = []
    for _ in range(3):
        response = app.get("/ajax/limited")
        assert response.status == 200
        assert response.headers["ratelimit-policy"] == '"3/minute";q=3;w=60'
        remaining.append(response.headers["ratelimit"])
    assert remaining == [f'"3/minute";r={r};t=20' for r in (2, 1, 0)]


def test_R1_every_limit_is_listed(app: Client) -> None:
    response = app.get("/ajax/two-limits")
    assert response.headers["ratelimit-policy"] == ('"2/second";q=2;w=1, "5/minute";q=5;w=60')
    assert response.headers["ratelimit"] == '"2/second";r=1;t=1, "5/minute";r=4;t=20'


def test_R1_error_responses_carry_them_too(app: Client) -> None:
    response = app.get("/ajax/fails")
    assert response.status == 500
    assert response.headers["ratelimit"] == '"5/minute";r=4;t=20'


def test_R1_each_field_is_sent_once_whatever_answers(app: Client) -> None:
    # A first try, its replay (stored without the fields: the replay
    # carries its own count), the refusal and the handler's error.
    key = _key()
    answers = [app.post("/ajax/limited", json={}, headers=key) for _ in range(2)]
    answers += [app.get("/ajax/limited"), app.get("/ajax/limited"), app.get("/ajax/fails")]
    assert [a.status for a in answers] == [200, 200, 200, 429, 500]
    assert answers[1].headers["idempotent-replayed"] == "true"
    for answer in answers:
        assert len(answer.header_list("ratelimit-policy")) == 1
        assert len(answer.header_list("ratelimit")) == 1
    counts = [a.header_list("ratelimit")[0] for a in answers[:4]]
    assert counts == [f'"3/minute";r={r};t=20' for r in (2, 1, 0, 0)]


def test_R2_over_the_limit_is_429_with_retry_after(app: Client, mounted: Mounted) -> None:
    for _ in range(3):
        app.get("/ajax/limited")
    response = app.get("/ajax/limited")
    assert response.status == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert response.headers["retry-after"] == "20"
    assert response.headers["ratelimit"] == '"3/minute";r=0;t=20'
    assert mounted.calls == ["limited"] * 3  # the handler never ran


def test_R2_the_tightest_limit_decides(app: Client, mounted: Mounted) -> None:
    assert [app.get("/ajax/two-limits").status for _ in range(3)] == [200, 200, 429]
    mounted.clock.advance(1)
    assert app.get("/ajax/two-limits").status == 200


def test_R2_retry_after_is_when_a_retry_is_admitted(app: Client, mounted: Mounted) -> None:
    # "2/second" refuses the fifth request, which fills "5/minute": a retry
    # after the second's window would be refused too, so Retry-After
    # names the minute's end, as the RateLimit field beside it says.
    assert [app.get("/ajax/two-limits").status for _ in range(2)] == [200, 200]
    mounted.clock.advance(1)
    assert [app.get("/ajax/two-limits").status for _ in range(2)] == [200, 200]
    refused = app.get("/ajax/two-limits")
    assert refused.status == 429
    assert refused.headers["retry-after"] == "19"
    assert '"5/minute";r=0;t=19' in refused.headers["ratelimit"]
    mounted.clock.advance(int(refused.headers["retry-after"]))
    assert app.get("/ajax/two-limits").status == 200


def test_R3_users_count_apart(app: Client) -> None:
    app.login("alice")
    assert [app.get("/ajax/limited").status for _ in range(4)] == [200, 200, 200, 429]
    app.login("bob")
    assert app.get("/ajax/limited").status == 200


def test_R3_anonymous_clients_count_by_address(client_class: type[Client]) -> None:
    mounted = Mounted(trusted_proxies=1)
    client = client_class(apis={"/ajax": mounted.api})
    try:
        first = {"X-Forwarded-For": "203.0.113.7"}
        second = {"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}
        assert client.get("/ajax/by-ip", headers=first).status == 200
        assert client.get("/ajax/by-ip", headers=first).status == 429
        # Only the hop our one proxy appended is believed: 198.51.100.2.
        assert client.get("/ajax/by-ip", headers=second).status == 200
    finally:
        client.close()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # One IPv6 subscriber holds a /64 (2**64 addresses): one bucket.
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"),
        ("2001:db8:1:2::1", "[2001:DB8:1:2::9]:443"),
        # A proxy writing the client's port makes each connection new.
        ("203.0.113.7:50000", "203.0.113.7:50001"),
        # The same IPv4 client, written as IPv6 by a dual-stack proxy.
        ("::ffff:203.0.113.8", "203.0.113.8"),
    ],
)
def test_R3_one_client_is_one_bucket_however_its_address_is_written(
    client_class: type[Client], first: str, second: str
) -> None:
    mounted = Mounted(trusted_proxies=1)
    client = client_class(apis={"/ajax": mounted.api})
    try:
        assert client.get("/ajax/by-ip", headers={"X-Forwarded-For": first}).status == 200
        assert client.get("/ajax/by-ip", headers={"X-Forwarded-For": second}).status == 429
        # Another /64, another client.
        other = {"X-Forwarded-For": "2001:db8:1:3::1"}
        assert client.get("/ajax/by-ip", headers=other).status == 200
    finally:
        client.close()


def test_R3_untrusted_forwarded_for_is_ignored(app: Client) -> None:
    assert app.get("/ajax/by-ip", headers={"X-Forwarded-For": "203.0.113.1"}).status == 200
    # A made-up header does not buy a fresh bucket without trusted proxies.
    assert app.get("/ajax/by-ip", headers={"X-Forwarded-For": "203.0.113.2"}).status == 429


def test_R3_batch_items_count_as_their_caller(app: Client, mounted: Mounted) -> None:
    mounted.api.batch()
    items = [{"path": "by-ip"}, {"path": "by-ip", "headers": {"X-Forwarded-For": "203.0.113.9"}}]
    answers = app.post("/ajax/_batch", json={"items": items}).json()["items"]
    # An item cannot choose its address: the second one is the same caller.
    assert [answer["status"] for answer in answers] == [200, 429]
    assert app.get("/ajax/by-ip").status == 429  # items and requests share the count


def test_R3_an_async_rate_key_is_awaited(client_class: type[Client]) -> None:
    # It was called and never awaited: each request counted under the text
    # of a fresh coroutine object, so the limit never refused anyone.
    mounted = Mounted()

    async def by_tenant(request: AjaxRequest) -> str:
        return request.headers.get("x-tenant") or "none"

    mounted.api.endpoint("tenant", rate="1/minute", rate_key=by_tenant)(lambda: {"ok": True})
    client = client_class(apis={"/ajax": mounted.api})
    try:
        acme = {"X-Tenant": "acme"}
        assert [client.get("/ajax/tenant", headers=acme).status for _ in range(2)] == [200, 429]
        assert client.get("/ajax/tenant", headers={"X-Tenant": "other"}).status == 200
    finally:
        client.close()


class _ByTenant:
    """A rate key written as a class whose ``__call__`` is ``async def``."""

    async def __call__(self, request: AjaxRequest) -> str:
        return request.headers.get("x-tenant") or "none"


def test_R3_a_rate_key_object_with_an_async_call_is_awaited(client_class: type[Client]) -> None:
    # Taken for a sync function: its coroutine was the key, a logged 500.
    mounted = Mounted()
    mounted.api.endpoint("tenant", rate="1/minute", rate_key=_ByTenant())(lambda: {"ok": True})
    client = client_class(apis={"/ajax": mounted.api})
    try:
        acme = {"X-Tenant": "acme"}
        assert [client.get("/ajax/tenant", headers=acme).status for _ in range(2)] == [200, 429]
    finally:
        client.close()


class _Opaque:
    """A key without a text of its own: ``str()`` differs per object."""


@pytest.mark.parametrize(
    "key", [None, _Opaque(), b"tenant", 1.5], ids=["none", "object", "bytes", "float"]
)
def test_R3_a_rate_key_answering_no_text_is_a_logged_500(
    client_class: type[Client], caplog: pytest.LogCaptureFixture, key: Any
) -> None:
    # Counted under str(key): None put every caller in one bucket, and an
    # object's default text is new for each request, so nothing was limited.
    mounted = Mounted()
    mounted.api.endpoint("keyed", rate="5/minute", rate_key=lambda request: key)(lambda: {})
    client = client_class(apis={"/ajax": mounted.api})
    try:
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            response = client.get("/ajax/keyed")
    finally:
        client.close()
    assert response.status == 500
    logged = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    named = re.compile(r"rate_key of endpoint '.*\(keyed\)' returned .*; it must return a str")
    assert any(named.search(message) for message in logged), logged


def test_R3_a_rate_key_may_answer_a_number(app: Client, mounted: Mounted) -> None:
    mounted.api.endpoint("numbered", rate="1/minute", rate_key=lambda request: 7)(lambda: {})
    assert [app.get("/ajax/numbered").status for _ in range(2)] == [200, 429]


def test_R4_refused_requests_do_not_count(app: Client) -> None:
    assert [app.get("/ajax/private").status for _ in range(5)] == [401] * 5
    app.login("carol")
    assert [app.get("/ajax/private").status for _ in range(3)] == [200, 200, 429]


def test_R5_the_window_follows_the_clock(app: Client, mounted: Mounted) -> None:
    for _ in range(4):
        app.get("/ajax/limited")
    mounted.clock.advance(19)
    assert app.get("/ajax/limited").headers["retry-after"] == "1"
    mounted.clock.advance(1)
    response = app.get("/ajax/limited")
    assert response.status == 200
    assert response.headers["ratelimit"] == '"3/minute";r=2;t=60'


# --- I: Idempotency-Key ----------------------------------------------------------


def test_I1_a_repeat_is_replayed_not_run(app: Client, mounted: Mounted) -> None:
    key = _key()
    first = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    again = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json() == {"id": 1, "title": "a"}
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert mounted.calls == ["a"]


def test_I1_without_a_key_every_request_runs(app: Client, mounted: Mounted) -> None:
    app.post("/ajax/notes", json={"title": "a"})
    app.post("/ajax/notes", json={"title": "a"})
    assert mounted.calls == ["a", "a"]


def test_I1_client_errors_are_replayed_too(app: Client, mounted: Mounted) -> None:
    key = _key()
    first = app.post("/ajax/notes", json={}, headers=key)
    again = app.post("/ajax/notes", json={}, headers=key)
    assert (first.status, again.status) == (422, 422)
    assert again.headers["idempotent-replayed"] == "true"


def test_I1_batch_items_with_a_key_are_replayed(app: Client, mounted: Mounted) -> None:
    mounted.api.batch()
    item = {"method": "POST", "path": "notes", "body": {"title": "a"}, "headers": _key()}
    first, again = (
        app.post("/ajax/_batch", json={"items": [item]}).json()["items"][0] for _ in range(2)
    )
    assert first["body"] == again["body"] == {"id": 1, "title": "a"}
    replayed = {name.lower(): value for name, value in again["headers"].items()}
    assert replayed["idempotent-replayed"] == "true"
    assert mounted.calls == ["a"]


def test_I1_a_replay_sets_no_cookie(app: Client, mounted: Mounted) -> None:
    # A stored answer goes to whoever repeats the key: anonymous callers
    # share one scope, so a replayed session cookie would log a stranger in.
    key = _key()
    first = app.post("/ajax/sign-in", json={"name": "ann"}, headers=key)
    assert first.header_list("set-cookie") == ["session=s-ann; HttpOnly; Path=/"]
    stranger = app.sibling()
    try:
        again = stranger.post("/ajax/sign-in", json={"name": "ann"}, headers=key)
    finally:
        stranger.close()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.header_list("set-cookie") == []
    assert again.json() == {"name": "ann"}
    assert mounted.calls == ["ann"]


def test_I2_the_same_key_for_another_request_is_422(app: Client) -> None:
    key = _key()
    assert app.post("/ajax/notes", json={"title": "a"}, headers=key).status == 201
    for method, body in (("POST", {"title": "b"}), ("PATCH", {"title": "a"})):
        response = app.request(method, "/ajax/notes", json=body, headers=key)
        assert response.status == 422
        assert response.json()["code"] == "idempotency_key_reused"


def test_I2_the_same_key_with_another_query_is_422(app: Client, mounted: Mounted) -> None:
    # A handler may read the query of a POST (a model endpoint's ?expand=
    # shapes its answer): another query is another request.
    key = _key()
    first = app.post("/ajax/notes", params={"expand": "a"}, json={"title": "a"}, headers=key)
    assert first.status == 201
    again = app.post("/ajax/notes", params={"expand": "a"}, json={"title": "a"}, headers=key)
    assert again.headers["idempotent-replayed"] == "true"
    for params in ({"expand": "b"}, {}):
        response = app.post("/ajax/notes", params=params, json={"title": "a"}, headers=key)
        assert response.status == 422
        assert response.json()["code"] == "idempotency_key_reused"
    assert mounted.calls == ["a"]


def _form_data(boundary: str, title: str) -> tuple[bytes, dict[str, str]]:
    """A form with a file, as a browser's ``FormData`` sends it under ``boundary``."""
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n'
        f"Content-Type: image/png\r\n\r\n\x89PNG\r\n--{boundary}--\r\n"
    ).encode("latin-1")
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_I2_a_multipart_body_is_the_same_request_under_another_boundary(
    app: Client, mounted: Mounted
) -> None:
    # A browser picks a new boundary each time it sends a FormData body, so
    # the retry of an upload differs from its first try in that alone.
    key = _key()
    body, headers = _form_data("----WebKitFormBoundaryAAAA", "a")
    first = app.post("/ajax/notes", content=body, headers={**headers, **key})
    assert first.status == 201
    body, headers = _form_data("----WebKitFormBoundaryBBBB", "a")
    again = app.post("/ajax/notes", content=body, headers={**headers, **key})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    body, headers = _form_data("----WebKitFormBoundaryCCCC", "b")
    other = app.post("/ajax/notes", content=body, headers={**headers, **key})
    assert other.status == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert mounted.calls == ["a"]


def test_I3_a_repeat_while_the_first_runs_is_409(app: Client, mounted: Mounted) -> None:
    key = _key()
    other = app.sibling()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(other.post, "/ajax/slow", json={}, headers=key)
        assert mounted.entered.wait(10)
        try:
            during = app.post("/ajax/slow", json={}, headers=key)
        finally:
            mounted.release.set()
        assert first.result(10).status == 200
    other.close()
    assert during.status == 409
    assert during.json()["code"] == "idempotency_in_flight"
    assert during.headers["retry-after"] == "1"
    after = app.post("/ajax/slow", json={}, headers=key)
    assert after.headers["idempotent-replayed"] == "true"
    assert mounted.calls == ["slow"]


def test_I4_server_errors_are_not_stored(app: Client, mounted: Mounted) -> None:
    key = _key()
    assert app.post("/ajax/flaky", json={}, headers=key).status == 500
    retry = app.post("/ajax/flaky", json={}, headers=key)
    assert retry.status == 200
    assert "idempotent-replayed" not in retry.headers
    assert mounted.calls == ["flaky", "flaky"]


def test_I4_a_429_asking_for_a_retry_is_not_stored(app: Client, mounted: Mounted) -> None:
    # Stored, the retry the answer asks for (with the same key, as the draft
    # and ajaxkit.js send it) got the 429 again until the key expired.
    key = _key()
    assert app.post("/ajax/busy", json={}, headers=key).status == 429
    retry = app.post("/ajax/busy", json={}, headers=key)
    assert (retry.status, retry.json()) == (200, {"attempt": 2})
    assert "idempotent-replayed" not in retry.headers
    assert app.post("/ajax/busy", json={}, headers=key).headers["idempotent-replayed"] == "true"


def test_I4_streamed_responses_are_not_stored(app: Client, mounted: Mounted) -> None:
    key = _key()
    for _ in range(2):
        response = app.post("/ajax/streamed", json={}, headers=key)
        assert response.content == b"ab"
        assert "idempotent-replayed" not in response.headers
    assert mounted.calls == ["streamed", "streamed"]


def test_I5_a_required_key_is_400_when_missing(app: Client) -> None:
    response = app.post("/ajax/required", json={})
    assert response.status == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert app.post("/ajax/required", json={}, headers=_key()).status == 200


@pytest.mark.parametrize("key", ['""', "x" * 256, '"two words"'])
def test_I5_a_malformed_key_is_400(app: Client, key: str) -> None:
    response = app.post("/ajax/required", json={}, headers={"Idempotency-Key": key})
    assert response.status == 400
    assert response.json()["code"] == "idempotency_key_invalid"


@pytest.mark.parametrize("key", ['"a", "b"', '"a","b"', "a, b", "a,b", '"a",b'])
def test_I5_two_keys_are_400_never_one_key_of_both(app: Client, mounted: Mounted, key: str) -> None:
    # Two Idempotency-Key headers reach the app joined into one value; the
    # draft's key is one sf-string, and "a","b" was once the key a","b.
    response = app.post("/ajax/notes", json={"title": "a"}, headers={"Idempotency-Key": key})
    assert response.status == 400
    body = response.json()
    assert body["code"] == "idempotency_key_invalid"
    assert "one Idempotency-Key" in body["detail"], body["detail"]
    assert mounted.calls == []


@pytest.mark.parametrize(
    "key",
    [
        '"abc',  # an sf-string never closed
        'ab"c',
        '"a"b"',  # a quote inside must be escaped
        r'"a\b"',  # a backslash escapes only a quote or a backslash
        r'"a\"',  # here it escapes the closing quote
        '"a\tb"',  # a control character
        '"' + "x" * 256 + '"',
        '"a";p=1',  # parameters: not a key either
    ],
)
def test_I5_a_key_that_is_no_sf_string_is_400(app: Client, mounted: Mounted, key: str) -> None:
    response = app.post("/ajax/notes", json={"title": "a"}, headers={"Idempotency-Key": key})
    assert response.status == 400
    body = response.json()
    assert body["code"] == "idempotency_key_invalid"
    assert "sf-string" in body["detail"], body["detail"]
    assert mounted.calls == []


def test_I5_an_escaped_quote_is_part_of_the_key(app: Client, mounted: Mounted) -> None:
    key = {"Idempotency-Key": f'"{uuid.uuid4()}\\"x"'}
    first = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    again = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    assert (first.status, again.status) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert mounted.calls == ["a"]


def test_I6_keys_are_scoped_per_user(app: Client, mounted: Mounted) -> None:
    key = _key()
    app.login("alice")
    app.post("/ajax/notes", json={"title": "a"}, headers=key)
    app.login("bob")
    response = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    assert "idempotent-replayed" not in response.headers
    assert mounted.calls == ["a", "a"]


def test_I7_keys_expire_by_the_clock(app: Client, mounted: Mounted) -> None:
    key = _key()
    app.post("/ajax/notes", json={"title": "a"}, headers=key)
    mounted.clock.advance(24 * 60 * 60 - 1)
    assert app.post("/ajax/notes", json={"title": "a"}, headers=key).headers.get(
        "idempotent-replayed"
    )
    mounted.clock.advance(1)
    response = app.post("/ajax/notes", json={"title": "a"}, headers=key)
    assert "idempotent-replayed" not in response.headers
    assert mounted.calls == ["a", "a"]


def _from(address: str, key: dict[str, str]) -> dict[str, str]:
    return {**key, "X-Forwarded-For": address}


def test_I8_anonymous_keys_are_scoped_by_client_address(client_class: type[Client]) -> None:
    mounted = Mounted(trusted_proxies=1)
    client = client_class(apis={"/ajax": mounted.api})
    try:
        key = _key()
        first = client.post("/ajax/notes", json={"title": "a"}, headers=_from("203.0.113.7", key))
        # Another anonymous client sending the same key and body: its own request.
        other = client.post("/ajax/notes", json={"title": "a"}, headers=_from("198.51.100.2", key))
        assert "idempotent-replayed" not in other.headers
        assert other.json() != first.json()
        # The first client's retry, its address written another way: replayed.
        retry = _from("::ffff:203.0.113.7", key)
        again = client.post("/ajax/notes", json={"title": "a"}, headers=retry)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert mounted.calls == ["a", "a"]
    finally:
        client.close()


def test_I8_a_made_up_forwarded_for_does_not_change_the_scope(
    app: Client, mounted: Mounted
) -> None:
    key = _key()
    app.post("/ajax/notes", json={"title": "a"}, headers=_from("203.0.113.1", key))
    # No trusted proxy: the header is the client's own, its scope the peer's.
    again = app.post("/ajax/notes", json={"title": "a"}, headers=_from("203.0.113.2", key))
    assert again.headers["idempotent-replayed"] == "true"
    assert mounted.calls == ["a"]


def test_I8_a_users_keys_follow_the_user_not_the_address(client_class: type[Client]) -> None:
    mounted = Mounted(trusted_proxies=1)
    client = client_class(apis={"/ajax": mounted.api})
    try:
        key = _key()
        client.login("alice")
        client.post("/ajax/notes", json={"title": "a"}, headers=_from("203.0.113.7", key))
        # A signed-in client retrying from another network is still replayed.
        again = client.post("/ajax/notes", json={"title": "a"}, headers=_from("198.51.100.2", key))
        assert again.headers["idempotent-replayed"] == "true"
        assert mounted.calls == ["a"]
    finally:
        client.close()
