"""The core WebSocket session, driven with raw ASGI messages (no framework, no server).

The conformance suite proves the session on every framework; these tests
pin what only the raw messages show: the close-frame refusal for servers
without the ``websocket.http.response`` extension, exact close codes, the
limits, and registration mistakes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, AjaxRequest, RegistrationError, WebSocket, WebSocketDisconnect
from ajaxkit.core.asgi import Message
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.message_rate import MessageMeter, read_message_rate
from ajaxkit.core.platform import REFERENCE
from ajaxkit.core.websocket import _INBOX_SIZE as INBOX_SIZE
from ajaxkit.core.websocket import DENIAL_EXTENSION, serve_websocket
from ajaxkit.testing import Client
from ajaxkit.types import EMPTY_QUERY, LazyHeaders, MultiDict

CONNECT: Message = {"type": "websocket.connect"}


class Wire:
    """The server's side of one connection: what the client sends, what the app sent."""

    def __init__(self, *messages: Message) -> None:
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        for message in messages:
            self.inbox.put_nowait(message)
        self.sent: list[Message] = []
        self.changed = asyncio.Event()

    async def receive(self) -> Message:
        return await self.inbox.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        self.changed.set()

    def client_sends(self, message: Message) -> None:
        self.inbox.put_nowait(message)

    async def wait_for(self, kind: str) -> Message:
        while True:
            for message in self.sent:
                if message["type"] == kind:
                    return message
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 5)


def handshake(route: str, *, query: str = "", user: Any = None) -> AjaxRequest:
    return AjaxRequest(
        method="WEBSOCKET",
        path=f"/ws/{route}",
        route=route,
        headers=LazyHeaders(list),
        query=MultiDict(parse_qsl(query)) if query else EMPTY_QUERY,
        user=user,
    )


def serve(api: Ajax, request: AjaxRequest, wire: Wire, *, denial: bool = False) -> Awaitable[None]:
    scope: dict[str, Any] = {"type": "websocket", "extensions": {}}
    if denial:
        scope["extensions"][DENIAL_EXTENSION] = {}
    return serve_websocket(api, request, scope, wire.receive, wire.send, platform=REFERENCE)


def run_session(
    api: Ajax, request: AjaxRequest, *messages: Message, denial: bool = False
) -> list[Message]:
    async def main() -> list[Message]:
        wire = Wire(CONNECT, *messages)
        await asyncio.wait_for(serve(api, request, wire, denial=denial), 5)
        return wire.sent

    return asyncio.run(main())


def _crashing_permission(request: AjaxRequest) -> bool:
    raise ZeroDivisionError("a bug in the permission hook")


def make_api() -> Ajax:
    api = Ajax(max_body_size=8)

    @api.websocket("echo")
    async def echo(ws: WebSocket, times: int = 1) -> None:
        async for message in ws:
            await ws.send(message * times)

    @api.websocket(login_required=True)
    async def private(ws: WebSocket) -> None:
        await ws.send("secret")

    @api.websocket("crashing-permission", permission=_crashing_permission)
    async def crashing(ws: WebSocket) -> None:
        raise AssertionError("never admitted")

    @api.websocket("json")
    async def json(ws: WebSocket) -> None:
        await ws.send_json(await ws.receive_json())

    @api.websocket("bye")
    async def bye(ws: WebSocket) -> None:
        await ws.close(4001, "bye " * 100)

    @api.endpoint("hello")
    def hello(request: AjaxRequest) -> str:
        return "hello"

    return api


def text(value: str) -> Message:
    return {"type": "websocket.receive", "text": value}


DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1001}


# --- refusals ---------------------------------------------------------------


def test_refusal_without_the_denial_extension_is_a_close_4000_plus_status() -> None:
    sent = run_session(make_api(), handshake("private"))
    assert sent == [{"type": "websocket.close", "code": 4401, "reason": "not_authenticated"}]


def test_refusal_with_the_denial_extension_is_the_http_problem() -> None:
    sent = run_session(make_api(), handshake("private"), denial=True)
    start, body = sent
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 401
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert b"www-authenticate" in headers
    assert int(headers[b"content-length"]) == len(body["body"])
    assert b'"code":"not_authenticated"' in body["body"]


def test_unknown_route_and_http_route_are_refused() -> None:
    api = make_api()
    assert run_session(api, handshake("nowhere"))[0]["code"] == 4404
    assert run_session(api, handshake("hello"))[0]["code"] == 4405


def test_invalid_parameters_are_refused_with_4422() -> None:
    sent = run_session(make_api(), handshake("echo", query="times=many"))
    assert sent == [{"type": "websocket.close", "code": 4422, "reason": "validation_failed"}]


def test_failing_admission_closes_1011_with_the_logged_error_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        sent = run_session(make_api(), handshake("crashing-permission"))
    (close,) = sent
    assert close["code"] == 1011
    code, _, error_id = close["reason"].partition(" ")
    assert code == "internal_error"
    (record,) = [r for r in caplog.records if r.name == "ajaxkit"]
    assert error_id in record.getMessage()
    assert "crashing" in record.getMessage()


def test_a_client_gone_before_the_handshake_gets_nothing() -> None:
    async def main() -> list[Message]:
        wire = Wire(DISCONNECT)
        await serve(make_api(), handshake("echo"), wire)
        return wire.sent

    assert asyncio.run(main()) == []


def test_user_loader_setting_applies_to_the_handshake() -> None:
    api = make_api()
    api.configure(user_loader=lambda request: type("U", (), {"is_authenticated": True})())
    sent = run_session(api, handshake("private"))
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]


# --- the session ------------------------------------------------------------


def test_echo_then_the_client_leaves() -> None:
    async def main() -> list[Message]:
        wire = Wire(CONNECT, text("ab"))
        session = asyncio.ensure_future(serve(make_api(), handshake("echo", query="times=2"), wire))
        await wire.wait_for("websocket.send")
        wire.client_sends(DISCONNECT)
        await asyncio.wait_for(session, 5)
        return wire.sent

    assert asyncio.run(main()) == [
        {"type": "websocket.accept"},
        {"type": "websocket.send", "text": "abab"},
    ]


def test_messages_before_a_disconnect_are_still_received() -> None:
    api = Ajax()
    got: list[str | bytes] = []

    @api.websocket("collect")
    async def collect(ws: WebSocket) -> None:
        got.extend([message async for message in ws])

    run_session(api, handshake("collect"), text("a"), text("b"), DISCONNECT)
    assert got == ["a", "b"]


@pytest.mark.parametrize("count", [INBOX_SIZE - 1, INBOX_SIZE, INBOX_SIZE + 1])
def test_a_burst_filling_the_inbox_before_a_disconnect_is_still_received(count: int) -> None:
    # The handler waits in receive() while the session buffers the burst:
    # with the buffer full when the client left, it was cancelled instead,
    # losing every message and the disconnect.
    api = Ajax()
    got: list[str | bytes] = []
    ended: list[int] = []

    @api.websocket("collect")
    async def collect(ws: WebSocket) -> None:
        try:
            while True:
                got.append(await ws.receive())
        except WebSocketDisconnect as exc:
            ended.append(exc.code)

    burst = [text(str(n)) for n in range(count)]
    run_session(api, handshake("collect"), *burst, DISCONNECT)
    assert got == [str(n) for n in range(count)]
    assert ended == [1001]


def test_returning_handler_closes_with_1000() -> None:
    sent = run_session(make_api(), handshake("private", user=_User()))
    assert sent[-1] == {"type": "websocket.close", "code": 1000, "reason": ""}


def test_handler_close_is_sent_once_with_the_reason_cut_to_123_bytes() -> None:
    sent = run_session(make_api(), handshake("bye"))
    closes = [m for m in sent if m["type"] == "websocket.close"]
    assert len(closes) == 1
    assert closes[0]["code"] == 4001
    assert len(closes[0]["reason"].encode()) == 123


def test_a_message_over_the_limit_closes_with_4413() -> None:
    sent = run_session(make_api(), handshake("echo"), text("x" * 9))
    assert sent[-1] == {"type": "websocket.close", "code": 4413, "reason": "payload_too_large"}


def test_the_limit_counts_utf8_bytes_of_text() -> None:
    sent = run_session(make_api(), handshake("echo"), text("ééééé"))  # 5 characters, 10 bytes
    assert sent[-1]["code"] == 4413


@settings(max_examples=50, deadline=None)
@given(reason=st.text())
def test_any_close_reason_fits_a_close_frame(reason: str) -> None:
    api = Ajax()

    @api.websocket("close")
    async def close(ws: WebSocket) -> None:
        await ws.close(4000, reason)

    sent = run_session(api, handshake("close"))[-1]["reason"]
    assert len(sent.encode("utf-8")) <= 123
    assert reason.startswith(sent)


def test_malformed_json_closes_with_4400() -> None:
    sent = run_session(make_api(), handshake("json"), text("{nope"))
    assert sent[-1] == {"type": "websocket.close", "code": 4400, "reason": "malformed_json"}


def test_binary_json_round_trip() -> None:
    message: Message = {"type": "websocket.receive", "bytes": b'{"a":1}'}
    sent = run_session(make_api(), handshake("json"), message)
    assert sent[1] == {"type": "websocket.send", "text": '{"a":1}'}


def test_a_handler_waiting_in_receive_gets_websocket_disconnect() -> None:
    api = Ajax()
    seen: list[int] = []

    @api.websocket("listen")
    async def listen(ws: WebSocket) -> None:
        try:
            await ws.receive()
        except WebSocketDisconnect as exc:
            seen.append(exc.code)
            raise

    sent = run_session(api, handshake("listen"), DISCONNECT)
    assert seen == [1001]
    assert sent == [{"type": "websocket.accept"}]


def test_send_after_the_client_left_raises_websocket_disconnect() -> None:
    api = Ajax()
    outcome: list[str] = []

    @api.websocket("push")
    async def push(ws: WebSocket) -> None:
        try:
            await ws.receive()
        except WebSocketDisconnect:
            try:
                await ws.send("late")
            except WebSocketDisconnect:
                outcome.append("disconnect")

    sent = run_session(api, handshake("push"), DISCONNECT)
    assert outcome == ["disconnect"]
    assert sent == [{"type": "websocket.accept"}]


def test_a_server_error_on_send_is_a_disconnect() -> None:
    api = Ajax()
    outcome: list[int] = []

    @api.websocket("push")
    async def push(ws: WebSocket) -> None:
        try:
            await ws.send("x")
        except WebSocketDisconnect as exc:
            outcome.append(exc.code)

    async def main() -> None:
        wire = Wire(CONNECT)

        async def broken_send(message: Message) -> None:
            if message["type"] == "websocket.send":
                raise OSError("connection lost")  # as uvicorn's ClientDisconnected

        await serve_websocket(
            api, handshake("push"), {}, wire.receive, broken_send, platform=REFERENCE
        )

    asyncio.run(main())
    assert outcome == [1006]


def test_the_servers_own_cancellation_propagates() -> None:
    api = Ajax()

    @api.websocket("idle")
    async def idle(ws: WebSocket) -> None:
        await asyncio.Event().wait()

    async def main() -> None:
        wire = Wire(CONNECT)
        task = asyncio.ensure_future(serve(api, handshake("idle"), wire))
        await wire.wait_for("websocket.accept")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_close_without_a_reason_as_starlette_spells_it_is_sent() -> None:
    # Starlette's close(code, reason=None): ported handlers pass None.  It
    # once failed after marking the session closed, so no close went out.
    api = Ajax()

    @api.websocket("close")
    async def close(ws: WebSocket) -> None:
        await ws.close(4001, None)

    sent = run_session(api, handshake("close"))
    assert sent[-1] == {"type": "websocket.close", "code": 4001, "reason": ""}


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 2999, 5000])
def test_close_codes_no_endpoint_sends_are_refused(code: int) -> None:
    api = Ajax()
    errors: list[str] = []

    @api.websocket("close")
    async def close(ws: WebSocket) -> None:
        try:
            await ws.close(code)
        except ValueError as exc:
            errors.append(str(exc))

    run_session(api, handshake("close"))
    assert errors == [
        f"A WebSocket close code is one an endpoint may send "
        f"(1000-1003, 1007-1014 or 3000-4999), not {code}."
    ]


@pytest.mark.parametrize("code", [1001, 1008, 1011, 1013, 3000, 4999])
def test_protocol_close_codes_an_endpoint_may_send_are_sent(code: int) -> None:
    # As Starlette's WebSocketException may close with them (W4): 1008
    # "policy violation" and 1013 "try again later" are common answers.
    api = Ajax()

    @api.websocket("close")
    async def close(ws: WebSocket) -> None:
        await ws.close(code, "bye")

    sent = run_session(api, handshake("close"))
    assert sent[-1] == {"type": "websocket.close", "code": code, "reason": "bye"}


# --- registration -----------------------------------------------------------


Handler = Callable[..., Any]


def _sync(ws: WebSocket) -> None: ...


async def _no_socket() -> None: ...


async def _fine(ws: WebSocket) -> None: ...


@pytest.mark.parametrize(
    ("func", "methods", "message"),
    [
        (_sync, ["WEBSOCKET"], "must be 'async def'"),
        (_no_socket, ["WEBSOCKET"], "takes the socket as its first parameter"),
        (_fine, ["GET", "WEBSOCKET"], "cannot also answer GET"),
    ],
)
def test_registration_mistakes_name_the_endpoint(
    func: Handler, methods: list[str], message: str
) -> None:
    with pytest.raises(RegistrationError, match=message) as raised:
        Ajax().endpoint("live", methods=methods)(func)
    assert func.__name__ in str(raised.value)


def test_http_and_websocket_share_a_route_and_allow_lists_http_only() -> None:
    api = Ajax()
    api.websocket("chat")(_fine)

    @api.endpoint("chat", methods=["GET"])
    def history(request: AjaxRequest) -> list[str]:
        return []

    client = Client(api)
    assert client.get("/ajax/chat").json() == []
    assert client.post("/ajax/chat").headers["allow"] == "GET, HEAD, OPTIONS"


class _User:
    is_authenticated = True
    username = "u"


def _http(request: AjaxRequest) -> None: ...


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("fast", "cannot read the message_rate 'fast'"),
        ("0/second", "cannot read the message_rate '0/second'"),
        (20, "message_rate must be a string like '20/second'"),
        ([], "message_rate must be a string like '20/second'"),
        (["5/second", "5/second"], "a message_rate is given twice"),
    ],
)
def test_W7_an_unreadable_message_rate_names_the_endpoint(rate: Any, message: str) -> None:
    with pytest.raises(RegistrationError, match=message) as raised:
        Ajax().websocket("chat", message_rate=rate)(_fine)
    assert "_fine" in str(raised.value)


def test_W7_message_rate_on_an_http_endpoint_names_the_endpoint() -> None:
    with pytest.raises(RegistrationError, match="message_rate is for WebSocket") as raised:
        Ajax().endpoint("chat", methods=["POST"], message_rate="5/second")(_http)
    assert "_http" in str(raised.value)


def test_W7_a_readable_message_rate_registers() -> None:
    api = Ajax()
    api.websocket("chat", message_rate=["5/second", "100 per minute"])(_fine)
    api.websocket("open", message_rate=None)(_fine)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.floats(min_value=0, max_value=2.5), max_size=40))
def test_W7_the_meter_lets_through_exactly_the_limit_in_each_window(steps: list[float]) -> None:
    clock = ManualClock()
    limits = read_message_rate(["3/second", "5/2second"])
    meter = MessageMeter(limits, clock)
    seen: dict[tuple[int, int], int] = {}
    for step in steps:
        clock.advance(step)
        now = clock.monotonic()
        keys = [(limit.window, int(now // limit.window)) for limit in limits]
        for key in keys:
            seen[key] = seen.get(key, 0) + 1
        expected = any(seen[key] > limit.amount for key, limit in zip(keys, limits, strict=True))
        assert meter.over() is expected
