"""Rules L of docs/protocol.md: live updates over SSE and long-poll, on every client."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ajaxkit import Ajax
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.live import Live, LiveSettings, MemoryBroker
from tests.conformance.clients.base import Client, Response, WsClosed, WsSession
from tests.waiting import Background, wait_until


def _publish(client: Client, topic: str, n: int | list[int], mount: str = "/ajax") -> str:
    numbers = n if isinstance(n, list) else [n]
    response = client.post(f"{mount}/live/publish", json={"topic": topic, "n": numbers})
    assert response.status == 200, response
    cursor: str = response.json()["cursor"]
    return cursor


def _frames(response: Response) -> list[dict[str, str]]:
    """The SSE frames of a whole response body, as field → value (comments dropped).

    Read as a browser reads them: a line ends at CRLF, LF or CR, a blank
    line ends a frame, and several ``data`` lines are joined with LF.
    """
    frames: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", response.content.decode()):
        if not line:
            if fields:
                frames.append(fields)
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name == "data" in fields else value
    return frames


def _events(response: Response) -> list[tuple[str, int]]:
    return [
        (frame["event"], orjson.loads(frame["data"])["n"])
        for frame in _frames(response)
        if "data" in frame and frame.get("event") not in ("ajaxkit-reset", "ajaxkit-open")
    ]


def _opening(cursor: str, head: str) -> dict[str, str]:
    """The first frame of a stream that resumes from ``cursor``, the log's head being ``head``."""
    data = orjson.dumps({"cursor": cursor, "head": head}).decode()
    return {"id": cursor, "retry": "3000", "event": "ajaxkit-open", "data": data}


def test_L1_sse_headers_and_a_first_frame_with_id_and_retry(client: Client) -> None:
    head = _publish(client, "news", 0)
    response = client.get("/ajax/_live/sse", params={"topic": "news"})
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-accel-buffering"] == "no"
    # An event of its own name, so a page's script learns its cursor before
    # any event: EventSource dispatches nothing for a frame without data.
    assert _frames(response)[0] == _opening(head, head)
    assert response.content.startswith(
        b"id: %s\nretry: 3000\nevent: ajaxkit-open\n"
        b'data: {"cursor":"%s","head":"%s"}\n\n' % ((head.encode(),) * 3)
    )


def test_L1_a_resumed_streams_first_frame_names_its_cursor_and_the_head(client: Client) -> None:
    start = _publish(client, "news", 0)
    _publish(client, "news", 1)
    head = _publish(client, "chat/a", 2)
    by_parameter = client.get("/ajax/_live/sse", params={"topic": "news", "cursor": start})
    by_header = client.get(
        "/ajax/_live/sse", params={"topic": "news"}, headers={"Last-Event-ID": start}
    )
    for response in (by_parameter, by_header):
        # Its own cursor (a drop mid-backlog resumes there); the head is
        # where a topic the client just added starts.
        assert _frames(response)[0] == _opening(start, head)
        assert _events(response) == [("news", 1)]


def _unreachable_redis() -> Any:
    """A real Redis broker whose server cannot be reached (nothing listens on port 1)."""
    pytest.importorskip("redis")
    from ajaxkit.live.redis import RedisBroker

    return RedisBroker("redis://127.0.0.1:1/0")


def _news_client(client_class: type[Client], broker: Any) -> Client:
    """A client of a registry whose live topic ``news`` is served by ``broker``."""
    api = Ajax()
    Live(api, broker=broker, settings=LiveSettings(heartbeat=0)).topic("news")
    return client_class(apis={"/ajax": api})


def test_L1_an_event_stream_whose_broker_cannot_be_reached_is_a_503_problem(
    client_class: type[Client], caplog: pytest.LogCaptureFixture
) -> None:
    # It answered 200 and an empty stream, the broker being reached only
    # once the response had started: EventSource saw "open" every time,
    # reconnected for ever, and ajaxkit.js never fell back to long-poll.
    client = _news_client(client_class, _unreachable_redis())
    try:
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            response = client.get("/ajax/_live/sse", params={"topic": "news"})
    finally:
        client.close()
    assert response.status == 503, response
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    records = [r for r in caplog.records if r.name == "ajaxkit"]
    assert len(records) == 1, records
    assert "_sse" in records[0].getMessage()
    assert response.json()["instance"].endswith(getattr(records[0], "error_id", "?"))


def test_L7_a_long_poll_whose_broker_cannot_be_reached_is_a_503_problem(
    client_class: type[Client],
) -> None:
    # It was a 500 internal_error, as for a bug of the server's, where the
    # event stream of the same broker answers 503: a client cannot tell a
    # broker that is down for a while from a mistake to report.
    client = _news_client(client_class, _unreachable_redis())
    try:
        for params in ({"topic": "news"}, {"topic": "news", "cursor": "e:1", "timeout": 0}):
            response = client.get("/ajax/_live/poll", params=params)
            assert response.status == 503, (params, response)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "service_unavailable"
    finally:
        client.close()


class _FailsToSubscribe(MemoryBroker):
    """A broker reached at first that fails once the stream subscribes (it went down)."""

    async def read(self, subscription: Any, cursor: Any, limit: int | None) -> Any:
        self.close(subscription)
        raise ConnectionError("the broker went away")


def test_T3_an_event_stream_that_cannot_start_is_logged_once_and_ends(
    client_class: type[Client], caplog: pytest.LogCaptureFixture
) -> None:
    # Opening the subscription is part of streaming: its failure is
    # logged like any other (an error id, the endpoint) on every server,
    # and the stream ends cleanly rather than with a broken connection.
    client = _news_client(client_class, _FailsToSubscribe())
    try:
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            response = client.get("/ajax/_live/sse", params={"topic": "news"})
    finally:
        client.close()
    assert response.status == 200
    assert response.content == b""
    records = [r for r in caplog.records if r.name == "ajaxkit"]
    assert len(records) == 1, records
    assert "_sse" in records[0].getMessage()
    assert getattr(records[0], "error_id", None)


def test_L2_cursor_resumes_with_exactly_the_missed_events_of_the_topics(client: Client) -> None:
    start = _publish(client, "news", 0)
    for n, topic in enumerate(["news", "chat/a", "chat/b", "news"], start=1):
        _publish(client, topic, n)
    response = client.get("/ajax/_live/sse", params={"topic": ["news", "chat/a"], "cursor": start})
    assert _events(response) == [("news", 1), ("chat/a", 2), ("news", 4)]
    frames = _frames(response)
    assert frames[0]["id"] == start  # a drop mid-backlog resumes from the right place
    # Ids order by their counter ("e:9" before "e:10"), not as strings.
    ids = [f["id"] for f in frames[1:]]
    assert ids == sorted(ids, key=lambda i: int(i.rpartition(":")[2]))


def test_L2_last_event_id_header_resumes(client: Client) -> None:
    start = _publish(client, "news", 0)
    _publish(client, "news", 1)
    response = client.get(
        "/ajax/_live/sse", params={"topic": "news"}, headers={"Last-Event-ID": start}
    )
    assert _events(response) == [("news", 1)]


#: More than two of the default ``backlog_page`` (200): a resume reads three pages.
MANY = 450


def test_L2_a_backlog_of_many_pages_arrives_whole_and_in_order(client: Client) -> None:
    start = _publish(client, "news", 0)
    _publish(client, "news", list(range(1, MANY + 1)))
    last = _publish(client, "chat/a", MANY + 1)  # past the last page: the id moves there
    response = client.get("/ajax/_live/sse", params={"topic": "news", "cursor": start})
    assert _events(response) == [("news", n) for n in range(1, MANY + 1)]
    assert _frames(response)[-1] == {"id": last}


def test_L3_events_published_during_the_stream_arrive_live(client: Client) -> None:
    # The publisher sends once the stream listens, then revokes the listener,
    # which ends the stream right after the events: no timer to race.  Once
    # it listens, not once it is registered, so the events arrive live rather
    # than in its backlog (which starts at the head read before its 200).
    client.login("bob")
    publisher = client.sibling()
    publisher.login("bob")

    def once_listening() -> None:
        wait_until(
            lambda: publisher.get("/ajax-debug/live/subscribers").json()["listening"] > 0,
            "the SSE stream to listen",
            timeout=5,
        )
        _publish(publisher, "chat/live", [0, 1, 2], mount="/ajax-debug")
        assert publisher.post("/ajax-debug/live/revoke-me").status == 204

    publishing = Background(once_listening, "the publisher")
    began = time.monotonic()
    response = client.get("/ajax-debug/_live/sse", params={"topic": "chat/live"})
    publishing.join()
    publisher.close()
    assert _events(response) == [("chat/live", 0), ("chat/live", 1), ("chat/live", 2)]
    assert time.monotonic() - began < 9, "the revoke did not end the stream"


class _PublishesBeforeSubscribing(MemoryBroker):
    """A broker on which an event is published after the stream's 200, before it subscribes.

    As on any server that sends the head of the answer before the stream
    subscribes: a page told "open" may publish at once (its own message).
    """

    published = False

    def subscribe(self, topics: frozenset[str], **options: Any) -> Any:
        if not self.published:
            self.published = True
            self.publish("news", b'{"n": 1}')
        return super().subscribe(topics, **options)


def test_L3_a_stream_without_cursor_starts_where_its_answer_was_decided(
    client_class: type[Client],
) -> None:
    # It started from the head read once the response had begun, and an
    # event published after the 200 (EventSource "open") but before the
    # subscription was lost, with no reset.  Now it starts from the head
    # read before answering 200: that event is in its backlog.
    api = Ajax()
    live = Live(
        api, _PublishesBeforeSubscribing(), settings=LiveSettings(heartbeat=0, stream_seconds=0.3)
    )
    live.topic("news")
    head = live.publish("news", {"n": 0})
    client = client_class(apis={"/ajax": api})
    try:
        response = client.get("/ajax/_live/sse", params={"topic": "news"})
    finally:
        client.close()
    assert response.status == 200
    assert _events(response) == [("news", 1)]
    assert _frames(response)[0] == _opening(head, head)


def test_L4_an_unresumable_cursor_gets_exactly_one_reset(client: Client) -> None:
    head = _publish(client, "news", 0)
    for cursor in ("nope:1", "garbage"):
        response = client.get("/ajax/_live/sse", params={"topic": "news", "cursor": cursor})
        resets = [f for f in _frames(response) if f.get("event") == "ajaxkit-reset"]
        assert len(resets) == 1
        assert resets[0]["id"] == head
        assert orjson.loads(resets[0]["data"]) == {"cursor": head}


def test_L5_topics_are_authorized_before_any_stream_starts(client: Client) -> None:
    for path in ("/ajax/_live/sse", "/ajax/_live/poll"):
        # Refusing an anonymous subscriber says "log in" (rule A2).
        anonymous = client.get(path, params={"topic": ["news", "chat/closed"]})
        assert anonymous.status == 401, anonymous
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert client.get(path, params={"topic": "members"}).status == 401
        unknown = client.get(path, params={"topic": "nowhere"})
        assert unknown.status == 404
        assert unknown.json()["code"] == "not_found"
    client.login("bob")
    for path in ("/ajax/_live/sse", "/ajax/_live/poll"):
        refused = client.get(path, params={"topic": ["news", "chat/closed"]})
        assert refused.status == 403, refused
        assert refused.json()["code"] == "forbidden"


def test_L5_authorization_sees_the_user(client: Client) -> None:
    client.login("admin")
    response = client.get("/ajax/_live/poll", params={"topic": ["staff", "members"]})
    assert response.status == 200
    client.logout()
    client.login("bob")
    assert client.get("/ajax/_live/poll", params={"topic": "staff"}).status == 403
    assert client.get("/ajax/_live/poll", params={"topic": "members"}).status == 200


class _OpenRooms:
    """An ``authorize`` object whose ``__call__`` is async."""

    async def __call__(self, request: object, topic: str, action: str) -> bool:
        return topic != "rooms/closed"


async def _not_secret(topic: str) -> bool:
    return topic != "secret/closed"


def test_L5_an_async_authorize_that_is_no_coroutine_function_is_awaited(
    client_class: type[Client],
) -> None:
    # An object with an async __call__, or a function returning a
    # coroutine: the awaitable itself is true, and every topic was allowed.
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0))
    live.topic("rooms/{room}", authorize=_OpenRooms())
    live.topic("secret/{name}", authorize=lambda request, topic, action: _not_secret(topic))
    client = client_class(apis={"/ajax": api})
    try:
        for topic, status in [
            ("rooms/closed", 401),
            ("secret/closed", 401),
            ("rooms/open", 200),
            ("secret/open", 200),
        ]:
            response = client.get("/ajax/_live/poll", params={"topic": topic})
            assert response.status == status, (topic, response)
    finally:
        client.close()


def test_L5_topics_starting_with_an_underscore_are_never_declared(
    client_class: type[Client],
) -> None:
    # ajaxkit's own control topics start with "_" (revocations travel on
    # "_ajaxkit/revoke", naming users).  A pattern such as "{org}/{room}"
    # matched them: anyone could read who was revoked, and a publish to it
    # with made-up data revoked anyone, or stopped delivery.
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0))
    live.topic("{org}/{room}")
    client = client_class(apis={"/ajax": api})
    try:
        for path in ("/ajax/_live/sse", "/ajax/_live/poll"):
            for topic in ("_ajaxkit/revoke", "_x/y"):
                response = client.get(path, params={"topic": topic})
                assert response.status == 404, (path, topic)
                assert response.json()["code"] == "not_found"
        assert client.get("/ajax/_live/poll", params={"topic": "acme/lobby"}).status == 200
        with pytest.raises(ValueError, match="_ajaxkit/revoke"):
            live.publish("_ajaxkit/revoke", {"user": "42", "topic": None})
    finally:
        client.close()


def test_L5_publishing_to_an_undeclared_topic_is_the_servers_error_not_a_404(
    client: Client,
) -> None:
    # A typo in a topic the server publishes to is the server's mistake: a
    # 500 logged with an error id, never a 404 telling the caller that what
    # it asked for does not exist (while nothing is logged).
    for topic in ("nwes", "_ajaxkit/revoke"):
        response = client.post("/ajax/live/publish", json={"topic": topic, "n": [1]})
        assert response.status == 500, (topic, response)
        assert response.json()["code"] == "internal_error"


def test_L6_topic_lists_are_validated(client: Client) -> None:
    missing = client.get("/ajax/_live/sse")
    assert missing.status == 422
    assert missing.json()["errors"][0]["parameter"] == "topic"
    too_many = client.get(
        "/ajax/_live/poll", params={"topic": ["news", "chat/1", "chat/2", "chat/3"]}
    )
    assert too_many.status == 422


@pytest.mark.parametrize("name", ["ajaxkit-reset", "ajaxkit-open"])
def test_L6_the_streams_own_event_names_are_no_topics(
    client_class: type[Client], name: str
) -> None:
    # Their events would have the stream's own SSE event types: a room a
    # user named "ajaxkit-reset" made every message a reset to the page's
    # client, and one named "ajaxkit-open" would move its cursor.
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0, stream_seconds=0.1))
    live.topic("{room}")
    client = client_class(apis={"/ajax": api})
    try:
        for path in ("/ajax/_live/sse", "/ajax/_live/poll"):
            response = client.get(path, params={"topic": name})
            assert response.status == 422, (path, response)
            error = response.json()["errors"][0]
            assert error["parameter"] == "topic"
            assert "event" in error["detail"], error
        with pytest.raises(ValueError, match=name):
            live.publish(name, {"text": "hi"})
        assert client.get("/ajax/_live/poll", params={"topic": "lobby"}).status == 200
    finally:
        client.close()


def test_L7_long_poll_without_cursor_answers_the_head_at_once(client: Client) -> None:
    head = _publish(client, "news", 0)
    response = client.get("/ajax/_live/poll", params={"topic": "news"})
    assert response.status == 200
    assert response.json() == {"cursor": head, "reset": False, "events": []}


def test_L7_an_empty_cursor_is_no_cursor_and_answers_the_head_at_once(
    client_class: type[Client],
) -> None:
    # "cursor=" (a form field left blank, a page with no cursor yet) waited
    # the whole poll_timeout, and then answered the head anyway; an empty
    # cursor of a model list, an SSE stream or a WebSocket is no cursor.
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0, poll_timeout=3))
    live.topic("news")
    client = client_class(apis={"/ajax": api})
    try:
        live.publish("news", {"n": 0})
        head = live.publish("news", {"n": 1})
        began = time.monotonic()
        response = client.get("/ajax/_live/poll", params={"topic": "news", "cursor": ""})
        assert time.monotonic() - began < 2, "an empty cursor waited for events"
        assert response.status == 200, response
        assert response.json() == {"cursor": head, "reset": False, "events": []}
    finally:
        client.close()


def test_L7_long_poll_returns_waiting_events_at_once(client: Client) -> None:
    start = _publish(client, "news", 0)
    second = _publish(client, "news", 1)
    _publish(client, "chat/x", 2)
    response = client.get("/ajax/_live/poll", params={"topic": "news", "cursor": start})
    body = response.json()
    assert body["events"] == [{"id": second, "topic": "news", "data": {"n": 1}}]
    assert body["reset"] is False
    follow = client.get(
        "/ajax/_live/poll", params={"topic": "news", "cursor": body["cursor"], "timeout": 0}
    )
    assert follow.json()["events"] == []


def test_L7_a_long_poll_answer_carries_at_most_poll_limit_events(
    client_class: type[Client],
) -> None:
    # A cursor as old as the log must not buy the whole retained window (ten
    # thousand events by default) in one answer: pages of poll_limit.
    api = Ajax()
    live = Live(api, settings=LiveSettings(poll_limit=2, heartbeat=0))
    live.topic("news")
    client = client_class(apis={"/ajax": api})
    try:
        cursor = client.get("/ajax/_live/poll", params={"topic": "news"}).json()["cursor"]
        for n in range(5):
            live.publish("news", {"n": n})
        pages = []
        for _ in range(3):
            params = {"topic": "news", "cursor": cursor, "timeout": 0}
            body = client.get("/ajax/_live/poll", params=params).json()
            pages.append([event["data"]["n"] for event in body["events"]])
            cursor = body["cursor"]
        assert pages == [[0, 1], [2, 3], [4]]
    finally:
        client.close()


def test_L7_long_poll_times_out_with_no_events_and_the_same_cursor(client: Client) -> None:
    start = _publish(client, "news", 0)
    began = time.monotonic()
    response = client.get(
        "/ajax/_live/poll", params={"topic": "news", "cursor": start, "timeout": 0.2}
    )
    assert time.monotonic() - began >= 0.15
    assert response.json() == {"cursor": start, "reset": False, "events": []}


def test_L7_a_heartbeat_does_not_end_a_long_poll_early(client_class: type[Client]) -> None:
    # The heartbeat thread runs once any stream has been open; its comment
    # is for streams, and must not answer a poll that is still waiting.
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0.05, stream_seconds=0.1))
    live.topic("news")
    client = client_class(apis={"/ajax": api})
    try:
        assert client.get("/ajax/_live/sse", params={"topic": "news"}).status == 200
        start = client.get("/ajax/_live/poll", params={"topic": "news"}).json()["cursor"]
        began = time.monotonic()
        params = {"topic": "news", "cursor": start, "timeout": 0.6}
        response = client.get("/ajax/_live/poll", params=params)
        assert time.monotonic() - began >= 0.5
        assert response.json() == {"cursor": start, "reset": False, "events": []}
    finally:
        client.close()


def test_L7_long_poll_wakes_when_an_event_is_published(client: Client) -> None:
    start = _publish(client, "news", 0)
    publisher = client.sibling()
    publishing = Background(lambda: _publish(publisher, "news", 7), "the publisher", delay=0.1)
    began = time.monotonic()
    response = client.get(
        "/ajax/_live/poll", params={"topic": "news", "cursor": start, "timeout": 5}
    )
    publishing.join()
    publisher.close()
    assert time.monotonic() - began < 4
    assert [e["data"] for e in response.json()["events"]] == [{"n": 7}]


def test_L7_long_poll_reset(client: Client) -> None:
    head = _publish(client, "news", 0)
    response = client.get("/ajax/_live/poll", params={"topic": "news", "cursor": "old:1"})
    assert response.json() == {"cursor": head, "reset": True, "events": []}


def test_L7_a_signed_in_user_long_polls_a_topic_open_to_everyone(client: Client) -> None:
    # "news" has neither authorize nor login_required: nothing in admission
    # needs to know who the user is, yet the poll keys its subscription on
    # them, inside the handler's event loop even on a WSGI server.
    client.login("bob")
    start = _publish(client, "news", 0)
    second = _publish(client, "news", 1)
    params = {"topic": "news", "cursor": start, "timeout": 0}
    waiting = client.get("/ajax/_live/poll", params=params)
    assert waiting.status == 200, waiting
    assert waiting.json()["events"] == [{"id": second, "topic": "news", "data": {"n": 1}}]
    assert waiting.headers["cache-control"] == "no-store"  # a signed-in user's answer
    publisher = client.sibling()
    publishing = Background(lambda: _publish(publisher, "news", 7), "the publisher", delay=0.1)
    params = {"topic": "news", "cursor": second, "timeout": 5}
    woken = client.get("/ajax/_live/poll", params=params)
    publishing.join()
    publisher.close()
    assert woken.status == 200, woken
    assert [e["data"] for e in woken.json()["events"]] == [{"n": 7}]


def test_L2_a_signed_in_user_resumes_a_topic_open_to_everyone(client: Client) -> None:
    client.login("bob")
    start = _publish(client, "news", 0)
    _publish(client, "news", 1)
    response = client.get("/ajax/_live/sse", params={"topic": "news", "cursor": start})
    assert response.status == 200, response
    assert _events(response) == [("news", 1)]


class _Indented(JSONEncoder):
    """A custom encoder writing JSON over several lines, each ended by ``newline``."""

    def __init__(self, newline: bytes) -> None:
        super().__init__()
        self._newline = newline

    def dumps(self, value: Any) -> bytes:
        compact = orjson.loads(super().dumps(value))
        return orjson.dumps(compact, option=orjson.OPT_INDENT_2).replace(b"\n", self._newline)


#: Every line ending SSE knows: each would have split the frame.
NEWLINES = pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
#: Line breaks inside strings are escaped by the encoder; only its own may be raw.
MULTILINE = {"text": "two\nlines\r", "n": [1, 2], "nested": {"ok": True}}


def _multiline_api(newline: bytes) -> tuple[Ajax, Live]:
    api = Ajax(encoder=_Indented(newline))
    live = Live(api, settings=LiveSettings(heartbeat=0, stream_seconds=0.1))
    live.topic("news")
    return api, live


@NEWLINES
def test_L2_event_data_encoded_over_several_lines_keeps_its_frame(
    client_class: type[Client], newline: bytes
) -> None:
    # The data went out as one "data:" line holding the encoder's line
    # breaks: the browser read "{" as the data and the rest as unknown
    # fields (a CR is a line end to it, two of them the end of the frame).
    api, live = _multiline_api(newline)
    client = client_class(apis={"/ajax": api})
    try:
        start = client.get("/ajax/_live/poll", params={"topic": "news"}).json()["cursor"]
        cursor = live.publish("news", MULTILINE)
        last = live.publish("news", {"n": 3})
        response = client.get("/ajax/_live/sse", params={"topic": "news", "cursor": start})
        events = [
            (frame["id"], frame["event"], orjson.loads(frame["data"]))
            for frame in _frames(response)[1:]
            if "event" in frame
        ]
        assert events == [(cursor, "news", MULTILINE), (last, "news", {"n": 3})]
        params = {"topic": "news", "cursor": start, "timeout": 0}
        polled = client.get("/ajax/_live/poll", params=params).json()["events"]
        assert polled == [
            {"id": cursor, "topic": "news", "data": MULTILINE},
            {"id": last, "topic": "news", "data": {"n": 3}},
        ]
    finally:
        client.close()


@NEWLINES
def test_L9_websocket_event_data_encoded_over_several_lines_is_the_same_data(
    client_class: type[Client], needs: Callable[[str], None], newline: bytes
) -> None:
    needs("websocket")
    api, live = _multiline_api(newline)
    client = client_class(apis={"/ajax": api})
    try:
        start = client.get("/ajax/_live/poll", params={"topic": "news"}).json()["cursor"]
        cursor = live.publish("news", MULTILINE)
        with client.websocket("/ajax/_live/ws") as ws:
            assert _subscribe(ws, ["news"], start)["cursor"] == start
            assert ws.receive_json() == {
                "type": "event",
                "id": cursor,
                "topic": "news",
                "data": MULTILINE,
            }
    finally:
        client.close()


def test_L8_a_stream_knows_when_a_sync_server_drives_it(client: Client) -> None:
    """What lets SSE end itself in time under WSGI (see LiveSettings.wsgi_stream_seconds)."""
    response = client.get("/ajax/live/server-kind")
    flag = orjson.loads(response.content.splitlines()[0])["sync_server"]
    assert flag is ("async_server" not in client.capabilities)


# --- over a WebSocket (clients that serve them) ---------------------------------


def _subscribe(ws: WsSession, topics: list[str], cursor: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "subscribe", "topics": topics}
    if cursor is not None:
        message["cursor"] = cursor
    ws.send_json(message)
    reply: dict[str, Any] = ws.receive_json()
    return reply


def test_L9_websocket_subscribe_then_live_events(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    head = _publish(client, "news", 0)
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        assert _subscribe(ws, ["news"]) == {
            "type": "subscribed",
            "topics": ["news"],
            "cursor": head,
        }
        cursor = _publish(publisher, "news", 1)
        assert ws.receive_json() == {
            "type": "event",
            "id": cursor,
            "topic": "news",
            "data": {"n": 1},
        }
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    publisher.close()


def test_L9_websocket_resumes_from_a_cursor_and_resets_a_foreign_one(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    start = _publish(client, "news", 0)
    _publish(client, "chat/x", 1)
    second = _publish(client, "news", 2)
    with client.websocket("/ajax/_live/ws") as ws:
        assert _subscribe(ws, ["news"], start)["cursor"] == start
        assert ws.receive_json() == {
            "type": "event",
            "id": second,
            "topic": "news",
            "data": {"n": 2},
        }
    with client.websocket("/ajax/_live/ws") as ws:
        ws.send_json({"type": "subscribe", "topics": ["news"], "cursor": "old:1"})
        assert ws.receive_json() == {"type": "reset", "cursor": second}
        assert ws.receive_json()["type"] == "subscribed"


def test_L9_websocket_resumes_a_backlog_of_many_pages_whole_and_in_order(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    start = _publish(client, "news", 0)
    _publish(client, "news", list(range(1, MANY + 1)))
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        assert _subscribe(ws, ["news"], start)["cursor"] == start
        got = [ws.receive_json()["data"]["n"] for _ in range(MANY)]
        live = _publish(publisher, "news", MANY + 1)  # after the backlog: live
        assert ws.receive_json() == {
            "type": "event",
            "id": live,
            "topic": "news",
            "data": {"n": MANY + 1},
        }
    publisher.close()
    assert got == list(range(1, MANY + 1))


def test_L10_websocket_refused_topics_are_errors_and_the_socket_stays(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    client.login("bob")
    with client.websocket("/ajax/_live/ws") as ws:
        refused = _subscribe(ws, ["chat/closed"])
        assert (refused["type"], refused["code"], refused["topics"]) == (
            "error",
            "forbidden",
            ["chat/closed"],
        )
        assert _subscribe(ws, ["nowhere"])["code"] == "not_found"
        ws.send_text("not json")
        assert ws.receive_json()["code"] == "malformed_json"
        assert _subscribe(ws, ["members"])["type"] == "subscribed"


def test_L10_websocket_topics_are_validated_as_http_ones_are(
    client: Client, needs: Callable[[str], None]
) -> None:
    # Each of these is a 422 on _live/sse and _live/poll (L6); over the
    # socket they matched a declared pattern and were subscribed.
    needs("websocket")
    malformed = ["chat/" + "x" * 300, "chat/a/", "chat/\x7f"]
    with client.websocket("/ajax/_live/ws") as ws:
        for topic in malformed:
            refused = _subscribe(ws, [topic])
            assert (refused["type"], refused["code"]) == ("error", "validation_failed")
            # Sent back when it is no longer than a topic may be (L10).
            assert refused.get("topics") == ([topic] if len(topic) <= 200 else None)
            http = client.get("/ajax/_live/poll", params={"topic": topic})
            assert http.status == 422
        assert _subscribe(ws, ["chat/a"])["type"] == "subscribed"


def test_L10_websocket_errors_send_back_a_bounded_part_of_the_command(
    client: Client, needs: Callable[[str], None]
) -> None:
    # An unknown type was repeated whole in the error's detail, and an
    # over-long topic twice (in the detail and in topics): a message of a
    # megabyte got a reply as large, as often as the message rate allows.
    needs("websocket")
    huge = "x" * 100_000
    with client.websocket("/ajax/_live/ws") as ws:
        for kind in (huge, [huge], {"subscribe": huge}):
            ws.send_json({"type": kind})
            unknown = ws.receive_json()
            assert (unknown["type"], unknown["code"]) == ("error", "unknown_message")
            assert len(orjson.dumps(unknown)) < 300, unknown
            assert "xxxx" in unknown["detail"]
        refused = _subscribe(ws, ["news", "chat/" + huge])
        assert (refused["type"], refused["code"]) == ("error", "validation_failed")
        assert len(orjson.dumps(refused)) < 500, refused
        assert "topics" not in refused
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_L10_a_websocket_cursor_that_is_not_a_string_is_refused(
    client: Client, needs: Callable[[str], None]
) -> None:
    # It was dropped without a word: the subscription started at the head,
    # and the events after the client's position were skipped unannounced
    # (a malformed string cursor is at least answered with a reset).
    needs("websocket")
    start = _publish(client, "news", 0)
    position = int(start.rpartition(":")[2])
    _publish(client, "news", 1)
    with client.websocket("/ajax/_live/ws") as ws:
        for cursor in (position, [start], {"id": start}):
            ws.send_json({"type": "subscribe", "topics": ["news"], "cursor": cursor})
            refused = ws.receive_json()
            assert (refused["type"], refused["code"]) == ("error", "validation_failed"), cursor
        # Still the first subscribe: it resumes from the cursor given now.
        assert _subscribe(ws, ["news"], start)["cursor"] == start
        assert ws.receive_json()["data"] == {"n": 1}


BROKER_DOWN = "The live updates broker cannot be reached; try again shortly."


def test_L10_a_websocket_subscribe_whose_broker_cannot_be_reached_is_an_error(
    client_class: type[Client], needs: Callable[[str], None], caplog: pytest.LogCaptureFixture
) -> None:
    # The broker's failure escaped the handler: the socket closed with 1011
    # internal_error, the answer of a bug, where _live/sse and _live/poll
    # answer 503 service_unavailable (L1, L7).
    needs("websocket")
    client = _news_client(client_class, _unreachable_redis())
    try:
        with (
            caplog.at_level(logging.ERROR, logger="ajaxkit"),
            client.websocket("/ajax/_live/ws") as ws,
        ):
            refused = _subscribe(ws, ["news"])
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
    finally:
        client.close()
    records = [r for r in caplog.records if r.name == "ajaxkit"]
    assert len(records) == 1, records
    assert "Live._socket" in records[0].getMessage()
    assert "_live/ws" in records[0].getMessage()
    error_id = getattr(records[0], "error_id", None)
    assert error_id
    # The logged error id, as an HTTP 503's problem carries it (P1): the
    # message had none, so what a client saw matched no log record.
    assert refused == {
        "type": "error",
        "code": "service_unavailable",
        "detail": BROKER_DOWN,
        "topics": ["news"],
        "instance": f"urn:uuid:{error_id}",
    }


class _Outage(MemoryBroker):
    """A broker whose log cannot be read while ``down`` (Redis gone for a while)."""

    down = False

    async def since(self, cursor: Any, topics: Any, limit: int | None = None) -> Any:
        if self.down:
            raise ConnectionError("the broker went away")
        return await super().since(cursor, topics, limit)


def test_L10_a_websocket_command_the_broker_fails_changes_nothing(
    client_class: type[Client], needs: Callable[[str], None]
) -> None:
    # A subscribe that could not reach the broker ended the socket; kept
    # open, it must leave the connection as it was: its topics still
    # delivered, with no gap or repeat, and the client's cursor still the
    # one the first subscribe that succeeds resumes from.
    needs("websocket")
    broker = _Outage()
    api = Ajax()
    live = Live(api, broker=broker, settings=LiveSettings(heartbeat=0))
    live.topic("news")
    live.topic("chat/{room}")
    client = client_class(apis={"/ajax": api})
    start = live.publish("news", {"n": 0})
    missed = live.publish("news", {"n": 1})
    try:
        with client.websocket("/ajax/_live/ws") as ws:
            broker.down = True
            refused = _subscribe(ws, ["news"], start)
            assert (refused["code"], refused["topics"]) == ("service_unavailable", ["news"])
            broker.down = False
            assert _subscribe(ws, ["news"], start)["cursor"] == start
            assert ws.receive_json()["id"] == missed
            broker.down = True
            for command in ("subscribe", "unsubscribe"):
                ws.send_json({"type": command, "topics": ["chat/a"]})
                refused = ws.receive_json()
                assert (refused["type"], refused["code"]) == ("error", "service_unavailable")
            broker.down = False
            after = live.publish("news", {"n": 2})
            # Held by the subscription kept, it comes before the reply (a
            # dropped one would answer first, from the head, skipping it).
            assert _subscribe(ws, ["chat/a"]) == {
                "type": "event",
                "id": after,
                "topic": "news",
                "data": {"n": 2},
            }
            assert ws.receive_json() == {
                "type": "subscribed",
                "topics": ["chat/a", "news"],
                "cursor": after,
            }
            chat = live.publish("chat/a", {"n": 3})
            assert ws.receive_json()["id"] == chat
    finally:
        client.close()


def test_L11_websocket_unsubscribe_stops_delivery(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    _publish(client, "news", 0)
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        _subscribe(ws, ["news"])
        assert _subscribe(ws, ["chat/a"])["topics"] == ["chat/a", "news"]
        ws.send_json({"type": "unsubscribe", "topics": ["news"]})
        assert ws.receive_json()["type"] == "unsubscribed"
        _publish(publisher, "news", 1)
        last = _publish(publisher, "chat/a", 2)
        assert ws.receive_json() == {
            "type": "event",
            "id": last,
            "topic": "chat/a",
            "data": {"n": 2},
        }
    publisher.close()


def test_L11_a_topic_added_to_a_websocket_starts_from_now(
    client: Client, needs: Callable[[str], None]
) -> None:
    # Adding "chat/a" resumed it from the connection's cursor: its events
    # published before the command (while nobody here listened to it) were
    # replayed as if new.  Now it starts at the head when the command is read.
    needs("websocket")
    _publish(client, "news", 0)
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        _subscribe(ws, ["news"])
        news = _publish(publisher, "news", 1)
        assert ws.receive_json()["id"] == news
        _publish(publisher, "chat/a", [2, 3])
        assert _subscribe(ws, ["chat/a"]) == {
            "type": "subscribed",
            "topics": ["chat/a", "news"],
            "cursor": news,
        }
        _publish(publisher, "news", 4)
        _publish(publisher, "chat/a", 5)
        got = [ws.receive_json() for _ in range(2)]
    publisher.close()
    assert [(m["topic"], m["data"]["n"]) for m in got] == [("news", 4), ("chat/a", 5)]


def test_L11_a_topic_added_with_a_cursor_starts_from_it(
    client: Client, needs: Callable[[str], None]
) -> None:
    # The command's cursor is for the topics it adds: the kept ones go on
    # from where the connection is, neither repeating nor skipping.
    needs("websocket")
    before = _publish(client, "news", 0)
    _publish(client, "chat/a", 1)
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        _subscribe(ws, ["news"])
        news = _publish(publisher, "news", 2)
        assert ws.receive_json()["id"] == news
        between = _publish(publisher, "chat/a", 3)
        _subscribe(ws, ["chat/a"], before)
        _publish(publisher, "news", 4)
        got = _until_topic(ws, "news")
        ws.send_json({"type": "subscribe", "topics": ["chat/b"], "cursor": between})
        assert ws.receive_json()["type"] == "subscribed"
        _publish(publisher, "chat/b", 5)
        got += _until_topic(ws, "chat/b")
    publisher.close()
    assert [(m["topic"], m["data"]["n"]) for m in got] == [
        ("chat/a", 1),
        ("chat/a", 3),
        ("news", 4),
        ("chat/b", 5),
    ]


def _until_topic(ws: WsSession, topic: str) -> list[dict[str, Any]]:
    """The messages received up to the first event of ``topic``, that one included."""
    got: list[dict[str, Any]] = []
    while not got or got[-1].get("topic") != topic:
        got.append(ws.receive_json())
    return got


def test_L11_a_websocket_that_dropped_every_topic_resumes_from_the_cursor_it_gave(
    client: Client, needs: Callable[[str], None]
) -> None:
    # The cursor an "unsubscribed" answer carries was ignored by the next
    # subscribe, which started from now: what was published in between was
    # lost.  Now it resumes from it.
    needs("websocket")
    _publish(client, "news", 0)
    publisher = client.sibling()
    with client.websocket("/ajax/_live/ws") as ws:
        _subscribe(ws, ["news"])
        ws.send_json({"type": "unsubscribe", "topics": ["news"]})
        left = ws.receive_json()
        assert left["type"] == "unsubscribed"
        _publish(publisher, "news", 1)
        _subscribe(ws, ["news"], left["cursor"])
        _publish(publisher, "news", 2)
        got = [ws.receive_json()["data"]["n"]]
        while got[-1] != 2:
            got.append(ws.receive_json()["data"]["n"])
    publisher.close()
    assert got == [1, 2]


def test_L11_a_revoked_websocket_subscriber_is_closed_with_4403_ended(
    client: Client, needs: Callable[[str], None]
) -> None:
    # Told apart by its reason from a handshake refused with 403, whose
    # close carries the problem's code ("forbidden"): after "ended" the
    # client reconnects, and its next subscribe is authorized again.
    needs("websocket")
    client.login("bob")
    revoker = client.sibling()
    revoker.login("bob")
    with client.websocket("/ajax/_live/ws") as ws:
        assert _subscribe(ws, ["news"])["type"] == "subscribed"
        assert revoker.post("/ajax/live/revoke-me").status == 204
        with pytest.raises(WsClosed) as closed:
            ws.receive_json()
    revoker.close()
    assert (closed.value.code, closed.value.reason) == (4403, "ended")


def test_L12_a_model_change_tells_no_subscriber_of_rows_it_may_not_read(client: Client) -> None:
    client.login("alice")
    bob = client.sibling()
    bob.login("bob")
    start = client.get("/ajax/_live/poll", params={"topic": "models/items"}).json()["cursor"]
    mark = bob.post("/ajax/marks", json={})
    assert mark.status == 201, mark
    created = bob.post("/ajax/items", json={"title": "shared", "marks": [mark.json()["id"]]})
    assert created.status == 201, created
    pk = created.json()["id"]
    params = {"topic": "models/items", "cursor": start, "timeout": 0}
    (event,) = client.get("/ajax/_live/poll", params=params).json()["events"]
    assert event["data"] == {
        "action": "created",
        "pk": pk,
        "record": {"id": pk, "title": "shared"},
        "omitted": ["marks"],
    }
    # What was left out differs by reader: bob reads his mark, alice none.
    assert client.get(f"/ajax/items/{pk}").json()["marks"] == []
    assert bob.get(f"/ajax/items/{pk}").json()["marks"] == [mark.json()["id"]]
    bob.close()


# --- L13: what one live WebSocket may ask of the server -------------------------


def _live_api(clock: ManualClock, message_rate: str | tuple[str, ...] | None) -> Ajax:
    api = Ajax(clock=clock)
    live = Live(api, settings=LiveSettings(heartbeat=0, message_rate=message_rate))
    live.topic("news")
    return api


def test_L13_websocket_commands_over_the_message_rate_close_with_4429(
    client_class: type[Client], needs: Callable[[str], None]
) -> None:
    needs("websocket")
    clock = ManualClock()
    client = client_class(apis={"/ajax": _live_api(clock, "3/second")})
    try:
        with client.websocket("/ajax/_live/ws") as ws:
            assert _subscribe(ws, ["news"])["type"] == "subscribed"
            ws.send_json({"type": "unsubscribe", "topics": ["news"]})
            assert ws.receive_json()["type"] == "unsubscribed"
            clock.advance(1)  # a new window: three more
            for _ in range(3):
                assert _subscribe(ws, ["news"])["type"] == "subscribed"
            ws.send_json({"type": "ping"})
            with pytest.raises(WsClosed) as closed:
                ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (4429, "rate_limited")
    finally:
        client.close()


def test_L13_websocket_commands_are_limited_by_default(
    client_class: type[Client], needs: Callable[[str], None]
) -> None:
    needs("websocket")
    clock = ManualClock()
    client = client_class(apis={"/ajax": _live_api(clock, LiveSettings().message_rate)})
    try:
        with client.websocket("/ajax/_live/ws") as ws, pytest.raises(WsClosed) as closed:
            for _ in range(10_000):
                ws.send_json({"type": "ping"})
                assert ws.receive_json() == {"type": "pong"}
        assert closed.value.code == 4429
    finally:
        client.close()


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
def test_L13_a_command_naming_more_than_max_topics_is_refused_unread(
    client: Client, needs: Callable[[str], None], kind: str
) -> None:
    # The conformance app allows 3 topics per connection.
    needs("websocket")
    many = [f"chat/{n}" for n in range(4)] + ["chat/a/"]  # one malformed, never read
    with client.websocket("/ajax/_live/ws") as ws:
        ws.send_json({"type": kind, "topics": many})
        refused = ws.receive_json()
        assert (refused["type"], refused["code"]) == ("error", "validation_failed")
        assert refused["detail"] == "At most 3 topics per connection."
        assert "topics" not in refused  # a long list is not sent back
        assert _subscribe(ws, ["news"])["type"] == "subscribed"


def test_L14_a_websocket_client_too_slow_is_closed_with_4429_too_slow(
    client_class: type[Client], needs: Callable[[str], None]
) -> None:
    # The client must tell it from L13's rate_limited: after too_slow it
    # resubscribes at once with its cursor; after rate_limited it slows down.
    needs("websocket")
    api = Ajax()
    live = Live(api, settings=LiveSettings(heartbeat=0, buffer_bytes=64))
    live.topic("news")
    client = client_class(apis={"/ajax": api})
    try:
        with client.websocket("/ajax/_live/ws") as ws:
            assert _subscribe(ws, ["news"])["type"] == "subscribed"
            live.publish("news", {"text": "x" * 100})  # more than the client may fall behind
            with pytest.raises(WsClosed) as closed:
                ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (4429, "too_slow")
    finally:
        client.close()
