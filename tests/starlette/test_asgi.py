"""The Starlette ASGI app beyond the conformance suite: mounting, bodies, scopes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest, AjaxResponse, WebSocket
from ajaxkit.starlette.asgi import scope_headers, scope_query

pytestmark = pytest.mark.starlette

#: What a browser adds to a page's own fetch(), so the CSRF policy admits it.
SAME_ORIGIN = (b"sec-fetch-site", b"same-origin")


def make_api(max_body_size: int = 1024) -> Ajax:
    api = Ajax(max_body_size=max_body_size)

    @api.endpoint("where/{rest:path}")
    def where(request: AjaxRequest, rest: str) -> dict[str, str]:
        return {"route": request.route, "path": request.path, "rest": rest}

    @api.endpoint("echo", methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data

    @api.endpoint
    def teapot(request: AjaxRequest) -> Any:
        return PlainTextResponse("short and stout", status_code=418, headers={"X-Pot": "tea"})

    @api.endpoint
    def stream(request: AjaxRequest) -> AjaxResponse:
        return AjaxResponse(headers={"Content-Type": "text/plain"}, stream=iter([b"a", b"b", b"c"]))

    @api.endpoint("astream")
    def astream(request: AjaxRequest) -> AjaxResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in (b"x", b"y"):
                await asyncio.sleep(0)
                yield chunk

        return AjaxResponse(headers={"Content-Type": "text/plain"}, stream=chunks())

    return api


# --- mounting ---------------------------------------------------------------


def test_route_is_the_path_below_a_nested_mount() -> None:
    inner = ajaxkit.starlette.app(make_api())
    app = Starlette(routes=[Mount("/v1", routes=[Mount("/ajax", app=inner)])])
    body = TestClient(app).get("/v1/ajax/where/a/b").json()
    assert body == {"route": "/where/a/b", "path": "/v1/ajax/where/a/b", "rest": "a/b"}


def test_server_root_path_is_kept_out_of_the_route() -> None:
    # As under `uvicorn --root-path /api`: the full path starts with the
    # server's prefix, which Starlette's Mount extends in root_path.
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    client = TestClient(app, root_path="/api")
    body = client.get("/api/ajax/where/x").json()
    assert body == {"route": "/where/x", "path": "/api/ajax/where/x", "rest": "x"}


def test_a_mount_prefix_is_not_matched_inside_a_longer_segment() -> None:
    # Served directly, root_path "/ajax" must not eat the start of "/ajaxy".
    app = ajaxkit.starlette.app(make_api())
    assert run_http(app, "GET", "/ajaxy/where/q", root_path="/ajax").status == 404
    assert run_http(app, "GET", "/ajax/where/q", root_path="/ajax").status == 200


def test_404_problem_instance_is_the_full_path() -> None:
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    response = TestClient(app).get("/ajax/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/ajax/nope"


# --- bodies -----------------------------------------------------------------


class Sent:
    """What an ASGI app sent, gathered from its messages."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


class Chunks:
    """An ASGI ``receive`` sending ``count`` chunks and counting what was taken."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.left, self.bytes_received = chunk, count, 0

    async def __call__(self) -> dict[str, Any]:
        if self.left == 0:
            await asyncio.Event().wait()  # nothing more will come
        self.left -= 1
        self.bytes_received += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}


def run_http(
    app: Any,
    method: str,
    path: str,
    *,
    root_path: str = "",
    headers: list[tuple[bytes, bytes]] | None = None,
    receive: Any = None,
) -> Sent:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": headers or [],
    }
    sent = Sent()
    asyncio.run(app(scope, receive or Chunks(b"", 1), sent))
    return sent


def test_chunked_body_over_the_limit_is_413_without_reading_it_all() -> None:
    app = ajaxkit.starlette.app(make_api(max_body_size=1024))
    receive = Chunks(b"x" * 100, count=1000)  # 100 kB, no Content-Length
    sent = run_http(
        app,
        "POST",
        "/ajax/echo",
        root_path="/ajax",
        headers=[(b"content-type", b"application/json"), SAME_ORIGIN],
        receive=receive,
    )
    assert sent.status == 413
    # Reading stops at the first chunk past the limit: 11 chunks of 100 bytes.
    assert receive.bytes_received == 1100
    assert receive.left == 989


def test_chunked_body_within_the_limit_is_read_whole() -> None:
    app = ajaxkit.starlette.app(make_api(max_body_size=1024))
    receive = Chunks(b"[1,2,3]", count=1)
    sent = run_http(
        app,
        "POST",
        "/ajax/echo",
        root_path="/ajax",
        headers=[(b"content-type", b"application/json"), SAME_ORIGIN],
        receive=receive,
    )
    assert (sent.status, sent.body) == (200, b"[1,2,3]")


def test_declared_length_over_the_limit_reads_nothing() -> None:
    app = ajaxkit.starlette.app(make_api(max_body_size=1024))
    receive = Chunks(b"x" * 100, count=100)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"10000"),
        SAME_ORIGIN,
    ]
    sent = run_http(app, "POST", "/ajax/echo", root_path="/ajax", headers=headers, receive=receive)
    assert sent.status == 413
    assert receive.bytes_received == 0


def test_client_disconnect_mid_body_is_a_client_error() -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b"[1,", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> Any:
        return next(messages)

    sent = run_http(
        ajaxkit.starlette.app(make_api()),
        "POST",
        "/ajax/echo",
        root_path="/ajax",
        headers=[(b"content-type", b"application/json"), SAME_ORIGIN],
        receive=receive,
    )
    assert sent.status == 400


# --- responses --------------------------------------------------------------


def test_native_response_passes_through_untouched() -> None:
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    response = TestClient(app).get("/ajax/teapot")
    assert response.status_code == 418
    assert response.text == "short and stout"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-pot"] == "tea"


@pytest.mark.parametrize(("route", "body"), [("stream", b"abc"), ("astream", b"xy")])
def test_streamed_responses_are_sent_chunk_by_chunk(route: str, body: bytes) -> None:
    sent = run_http(ajaxkit.starlette.app(make_api()), "GET", f"/ajax/{route}", root_path="/ajax")
    assert sent.status == 200
    assert b"content-length" not in sent.headers
    assert [m["more_body"] for m in sent.messages[1:]] == [True] * len(body) + [False]
    assert sent.body == body


def test_head_sends_the_content_length_of_get_not_zero() -> None:
    app = ajaxkit.starlette.app(make_api())
    sent = run_http(app, "HEAD", "/ajax/where/x", root_path="/ajax")
    got = run_http(app, "GET", "/ajax/where/x", root_path="/ajax")
    assert sent.status == 200
    assert sent.body == b""
    assert sent.headers[b"content-length"] == got.headers[b"content-length"] != b"0"


def test_content_length_matches_the_body() -> None:
    sent = run_http(ajaxkit.starlette.app(make_api()), "GET", "/ajax/where/x", root_path="/ajax")
    assert int(sent.headers[b"content-length"]) == len(sent.body) > 0


# --- other scopes -----------------------------------------------------------


def test_websocket_to_an_unknown_route_is_refused_before_accept() -> None:
    from starlette.testclient import WebSocketDenialResponse

    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    client = TestClient(app)
    with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ajax/live"):
        pass
    assert refused.value.status_code == 404
    assert refused.value.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("code", "reason"), [(1008, "policy"), (4001, "token expired"), (1000, None)]
)
def test_a_websocket_exception_closes_with_its_code_and_reason(
    code: int, reason: str | None, caplog: Any
) -> None:
    # Starlette's (and FastAPI's) way to end a session with a code of one's
    # own: it is the handler's answer, not a server error.
    from starlette.exceptions import WebSocketException
    from starlette.websockets import WebSocketDisconnect

    api = Ajax()

    @api.websocket("guarded")
    async def guarded(ws: WebSocket) -> None:
        await ws.receive()
        raise WebSocketException(code, reason)

    client = TestClient(Starlette(routes=[ajaxkit.starlette.mount("/ajax", api)]))
    with client.websocket_connect("/ajax/guarded") as session:
        session.send_text("hello")
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_text()
    assert (closed.value.code, closed.value.reason) == (code, reason or "")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_websocket_exception_with_a_code_no_endpoint_may_send_is_a_server_error(
    caplog: Any,
) -> None:
    # 1006 means "closed without a close frame": never sent, so a mistake.
    from starlette.exceptions import WebSocketException
    from starlette.websockets import WebSocketDisconnect

    api = Ajax()

    @api.websocket("guarded")
    async def guarded(ws: WebSocket) -> None:
        raise WebSocketException(1006)

    client = TestClient(Starlette(routes=[ajaxkit.starlette.mount("/ajax", api)]))
    with (
        client.websocket_connect("/ajax/guarded") as session,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        session.receive_text()
    assert closed.value.code == 1011
    assert [r.levelname for r in caplog.records] == ["ERROR"]


def test_lifespan_is_acknowledged_when_served_alone() -> None:
    with TestClient(ajaxkit.starlette.app(make_api())) as client:
        assert client.get("/where/x").json()["route"] == "/where/x"


def test_unknown_scope_types_are_refused() -> None:
    async def never() -> Any:
        raise AssertionError("must not receive")

    with pytest.raises(RuntimeError, match="webtransport"):
        asyncio.run(ajaxkit.starlette.app(make_api())({"type": "webtransport"}, never, Sent()))


# --- headers ----------------------------------------------------------------


def test_scope_headers_decode_on_first_use() -> None:
    headers = scope_headers([(b"x-a", b"1"), (b"x-a", b"2"), (b"accept", b"\xe9")])
    assert headers["X-A"] == "1, 2"
    assert headers["accept"] == "\u00e9"
    assert "x-a" in headers and "nope" not in headers
    assert sorted(headers) == ["accept", "x-a"]


def test_http_exception_with_other_status_keeps_status_detail_and_headers(caplog: Any) -> None:
    from starlette.exceptions import HTTPException

    api = Ajax()

    @api.endpoint
    def teapot(request: AjaxRequest) -> None:
        raise HTTPException(418, detail="I only brew tea", headers={"X-Brew": "tea"})

    @api.endpoint
    def gateway(request: AjaxRequest) -> None:
        raise HTTPException(502, detail="upstream 10.0.0.3 is down")

    client = TestClient(Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))]))
    response = client.get("/ajax/teapot")
    assert response.status_code == 418
    assert response.headers["x-brew"] == "tea"
    body = response.json()
    assert (body["code"], body["detail"], body["title"]) == (
        "im_a_teapot",
        "I only brew tea",
        "I'm a Teapot",
    )
    with caplog.at_level("ERROR", logger="ajaxkit"):
        response = client.get("/ajax/gateway")
    assert response.status_code == 502
    assert "10.0.0.3" not in response.text  # a 5xx detail stays in the log
    assert any("10.0.0.3" in r.getMessage() for r in caplog.records)


def test_mount_is_a_named_starlette_mount_that_owns_newlines() -> None:
    app = Starlette(routes=[ajaxkit.starlette.mount("/ajax", make_api(), name="ajax")])
    assert app.url_path_for("ajax", path="/where/x") == "/ajax/where/x"
    with TestClient(app) as client:
        assert client.get("/ajax/where/a/b").json()["rest"] == "a/b"
        response = client.get("/ajax/where/a%0d%0ab")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_plain_mount_leaves_newlines_to_starlette() -> None:
    # Documented: why ajaxkit.starlette.mount exists.
    app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(make_api()))])
    with TestClient(app) as client:
        assert client.get("/ajax/where/a").status_code == 200
        assert client.get("/ajax/where/a%0ab").headers["content-type"].startswith("text/plain")


def test_the_page_helper_hands_out_a_token_the_mount_accepts() -> None:
    api = make_api()
    mounted = ajaxkit.starlette.app(api)

    async def page(request: Request) -> PlainTextResponse:
        token, cookie = ajaxkit.starlette.csrf_token(api, request)
        response = PlainTextResponse(token)
        if cookie is not None:
            response.headers.append("set-cookie", cookie.header_value())
        return response

    client = TestClient(Starlette(routes=[Route("/page", page), Mount("/ajax", app=mounted)]))
    token = client.get("/page").text
    assert client.get("/page").text == token
    response = client.post("/ajax/echo", json=[1], headers={"X-CSRFToken": token})
    assert response.json() == [1]


# --- garbage ---------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/where/x", "/echo"])
def test_a_request_leaves_no_reference_cycle(route: str) -> None:
    # A cycle (the request held by its own native factory, say) is freed
    # only by the garbage collector: every request then pays for a
    # collection's share, ~12% of an unlimited GET's instructions here once.
    import gc

    app = ajaxkit.starlette.app(make_api())
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST" if route == "/echo" else "GET",
        "path": route,
        "raw_path": route.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), SAME_ORIGIN],
        "scheme": "http",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        pass

    async def requests(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)

    asyncio.run(requests(5))  # first-use caches filled
    gc.collect()
    gc.disable()
    try:
        asyncio.run(requests(20))
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0, f"{found} objects left in reference cycles by 20 requests"


def test_a_query_sent_as_raw_utf8_binds_its_text() -> None:
    # Servers hand the query's bytes over as the client sent them; text
    # outside ASCII is UTF-8 (as Django and Flask read it, rule U11), and a
    # byte that is not UTF-8 is U+FFFD, as a percent-escape of one is.
    query = scope_query(b"q=" + "\u4e94".encode() + b"&s=\xff&t=%ff")
    assert (query["q"], query["s"], query["t"]) == ("\u4e94", "\ufffd", "\ufffd")


def test_a_client_leaving_while_a_sync_generator_blocks_closes_it() -> None:
    # Pulled in Starlette's thread pool: the client leaves while the thread
    # is inside the generator.  Closing it raised "generator already
    # executing" out of the app, and its finally never ran.
    inside, leave = threading.Event(), threading.Event()
    ended: list[bool] = []
    api = Ajax()

    @api.endpoint("slow")
    def slow(request: AjaxRequest) -> Any:
        def items() -> Any:
            try:
                yield {"i": 0}
                inside.set()
                leave.wait(5)
                yield {"i": 1}
            finally:
                ended.append(True)

        return items()

    async def receive() -> Any:
        if not inside.is_set():
            await asyncio.get_running_loop().run_in_executor(None, inside.wait, 5)
            threading.Timer(0.2, leave.set).start()
        return {"type": "http.disconnect"}

    sent = run_http(
        ajaxkit.starlette.app(api), "GET", "/ajax/slow", root_path="/ajax", receive=receive
    )
    assert sent.status == 200
    assert ended == [True]
