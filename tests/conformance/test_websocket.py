"""Rules W (WebSocket sessions) of docs/protocol.md, on every client that serves WebSockets."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ajaxkit import Ajax, WebSocket
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.effects import Flow
from ajaxkit.core.steps import DEFAULT_STEPS, StepCall
from ajaxkit.types import AjaxResponse, Cookie
from tests.conformance.app import WEBSOCKET_ENDED
from tests.conformance.clients.base import Client, WsClosed, WsRefused
from tests.waiting import wait_until


@pytest.fixture(autouse=True)
def _websocket_only(needs: Callable[[str], None]) -> None:
    needs("websocket")


def test_W1_text_round_trip(client: Client) -> None:
    with client.websocket("/ajax/ws/echo?prefix=re:") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "re:hello"
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_bytes() == b"\x00\xff"


def test_W1_json_round_trip_uses_the_encoder(client: Client) -> None:
    with client.websocket("/ajax/ws/echo") as ws:
        ws.send_json({"n": 1, "text": "é"})
        assert ws.receive_json() == {
            "echo": {"n": 1, "text": "é"},
            "when": "2024-05-17T13:45:30.123000+00:00",
        }


def test_W2_login_required_refuses_before_accept(client: Client) -> None:
    with pytest.raises(WsRefused) as refused, client.websocket("/ajax/ws/whoami"):
        pytest.fail("an anonymous handshake was accepted")
    assert (refused.value.status, refused.value.code) == (401, "not_authenticated")


def test_W2_logged_in_user_is_admitted(client: Client) -> None:
    client.login("alice")
    with client.websocket("/ajax/ws/whoami") as ws:
        assert ws.receive_json() == {"username": "alice"}


def test_W2_user_is_loaded_for_every_session(client: Client) -> None:
    with client.websocket("/ajax/ws/is-authenticated") as ws:
        assert ws.receive_json() == {"authenticated": False}
    client.login("dora")
    with client.websocket("/ajax/ws/is-authenticated") as ws:
        assert ws.receive_json() == {"authenticated": True}


def test_W2_permission_refuses_with_403(client: Client) -> None:
    client.login("bob")
    with pytest.raises(WsRefused) as refused, client.websocket("/ajax/ws/admin-only"):
        pytest.fail("a forbidden handshake was accepted")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")


def test_W3_refusal_is_the_http_problem_where_the_server_can_send_one(client: Client) -> None:
    with pytest.raises(WsRefused) as refused, client.websocket("/ajax/ws/whoami"):
        pytest.fail("an anonymous handshake was accepted")
    assert refused.value.problem is not None
    assert refused.value.problem["status"] == 401
    assert refused.value.problem["instance"] == "/ajax/ws/whoami"


def test_W3_refusal_is_a_close_4000_plus_status_elsewhere(client: Client) -> None:
    with (
        pytest.raises(WsRefused) as refused,
        client.websocket("/ajax/ws/whoami", denial_response=False),
    ):
        pytest.fail("an anonymous handshake was accepted")
    assert refused.value.close == (4401, "not_authenticated")
    with (
        pytest.raises(WsRefused) as refused,
        client.websocket("/ajax/ws/nowhere", denial_response=False),
    ):
        pytest.fail("a handshake to nowhere was accepted")
    assert refused.value.close == (4404, "not_found")


def test_W3_unknown_route_is_refused_with_404(client: Client) -> None:
    with pytest.raises(WsRefused) as refused, client.websocket("/ajax/ws/no-such-thing"):
        pytest.fail("a handshake to nowhere was accepted")
    assert (refused.value.status, refused.value.code) == (404, "not_found")


def test_W3_http_only_route_is_refused_with_405(client: Client) -> None:
    with pytest.raises(WsRefused) as refused, client.websocket("/ajax/hello"):
        pytest.fail("a handshake to an HTTP endpoint was accepted")
    assert (refused.value.status, refused.value.code) == (405, "method_not_allowed")


def test_W4_handler_exception_closes_1011_and_logs_once(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ajaxkit"), client.websocket("/ajax/ws/boom") as ws:
        ws.send_text("go")
        with pytest.raises(WsClosed) as closed:
            ws.receive_text()
    assert closed.value.code == 1011
    code, _, error_id = closed.value.reason.partition(" ")
    assert code == "internal_error"
    assert re.fullmatch(r"[0-9a-f-]{36}", error_id)
    assert "secret" not in closed.value.reason
    records = [r for r in caplog.records if r.name == "ajaxkit" and error_id in r.getMessage()]
    assert len(records) == 1
    assert "ws_boom" in records[0].getMessage()
    assert records[0].exc_info


def test_W5_client_going_away_ends_the_handler(client: Client) -> None:
    run = uuid.uuid4().hex
    with client.websocket(f"/ajax/ws/wait/{run}") as ws:
        assert ws.receive_text() == "ready"
        ws.close()
        # The handler waits on an event, not the socket: only the session
        # noticing the disconnect can end it.
        wait_until(lambda: run in WEBSOCKET_ENDED, "the handler to end", timeout=5)
        assert WEBSOCKET_ENDED[run] is True


# --- W6: the policy steps complete on the handshake ----------------------------


class _Visits:
    """A completing step: counts answers it saw and sets a cookie on each."""

    name = "visits"
    options = frozenset({"visits"})
    completes = True

    def __init__(self) -> None:
        self.seen: list[int] = []

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> bool | None:
        return True if options.get("visits") else None

    def methods(self, config: bool, endpoint_methods: frozenset[str]) -> frozenset[str]:
        return endpoint_methods

    def admit(self, call: StepCall, config: bool) -> Flow[AjaxResponse | None]:
        return None
        yield  # pragma: no cover - makes this a generator

    def complete(self, call: StepCall, config: bool, response: AjaxResponse) -> Flow[AjaxResponse]:
        self.seen.append(response.status)
        response.cookies.append(Cookie("visited", "1"))
        return response
        yield  # pragma: no cover - makes this a generator


def _stepped_api(step: _Visits) -> Ajax:
    # A clock that stands still: on the wall clock, two handshakes either
    # side of a minute's end were counted in two windows.
    api = Ajax(steps=(*DEFAULT_STEPS, step), clock=ManualClock(1_700_000_040.0))

    @api.websocket("limited", rate="3/minute", rate_key="ip", visits=True)
    async def limited(ws: WebSocket, n: int = 0) -> None:
        await ws.send("hi")

    return api


def test_W6_accept_carries_the_rate_limit_fields(client_class: type[Client]) -> None:
    client = client_class(apis={"/ajax": _stepped_api(_Visits())})
    try:
        remaining = []
        for _ in range(2):
            with client.websocket("/ajax/limited") as ws:
                assert ws.receive_text() == "hi"
                fields = dict(ws.headers)
            assert fields["ratelimit-policy"] == '"3/minute";q=3;w=60'
            remaining.append(fields["ratelimit"])
        # r: requests left in the window; t: the 60 seconds to its end.
        assert remaining == ['"3/minute";r=2;t=60', '"3/minute";r=1;t=60']
    finally:
        client.close()


def test_W6_completing_steps_see_the_handshake_and_set_cookies(
    client_class: type[Client],
) -> None:
    step = _Visits()
    client = client_class(apis={"/ajax": _stepped_api(step)})
    try:
        with client.websocket("/ajax/limited") as ws:
            assert ws.receive_text() == "hi"
            cookies = [value for name, value in ws.headers if name == "set-cookie"]
        assert step.seen == [101]
        assert any(cookie.startswith("visited=1") for cookie in cookies)
        # A refused handshake is completed as an HTTP answer would be.
        with pytest.raises(WsRefused) as refused, client.websocket("/ajax/limited?n=x"):
            pass
        assert refused.value.status == 422
        assert step.seen == [101, 422]
    finally:
        client.close()


# --- W7: a per-connection limit on the messages a client sends -----------------

#: What the W7 handlers saw end their session, by run.
W7_ENDED: dict[str, int] = {}


def _counted_api(clock: ManualClock) -> Ajax:
    api = Ajax(clock=clock)

    @api.websocket("counted/{run}", message_rate="3/second")
    async def counted(ws: WebSocket, run: str) -> None:
        try:
            async for message in ws:
                await ws.send(message)
        finally:
            W7_ENDED[run] = ws.close_code or 0

    return api


def test_W7_messages_over_the_rate_close_the_session_with_4429(
    client_class: type[Client],
) -> None:
    clock = ManualClock()
    client = client_class(apis={"/ajax": _counted_api(clock)})
    run = uuid.uuid4().hex
    try:
        with client.websocket(f"/ajax/counted/{run}") as ws:
            for n in range(3):
                ws.send_text(f"m{n}")
                assert ws.receive_text() == f"m{n}"
            ws.send_text("one too many")
            with pytest.raises(WsClosed) as closed:
                ws.receive_text()
        assert (closed.value.code, closed.value.reason) == (4429, "rate_limited")
        # The handler's loop ended and its finally ran, knowing why.
        assert W7_ENDED.get(run) == 4429
    finally:
        client.close()


def test_W7_the_count_starts_again_in_the_next_window(client_class: type[Client]) -> None:
    clock = ManualClock()
    client = client_class(apis={"/ajax": _counted_api(clock)})
    try:
        with client.websocket(f"/ajax/counted/{uuid.uuid4().hex}") as ws:
            for second in range(3):
                for n in range(3):
                    ws.send_text(f"{second}.{n}")
                    assert ws.receive_text() == f"{second}.{n}"
                clock.advance(1)
    finally:
        client.close()


def test_W7_each_connection_has_its_own_count(client_class: type[Client]) -> None:
    clock = ManualClock()
    client = client_class(apis={"/ajax": _counted_api(clock)})
    try:
        with (
            client.websocket(f"/ajax/counted/{uuid.uuid4().hex}") as first,
            client.websocket(f"/ajax/counted/{uuid.uuid4().hex}") as second,
        ):
            for ws in (first, second):
                for n in range(3):
                    ws.send_text(str(n))
                    assert ws.receive_text() == str(n)
    finally:
        client.close()
