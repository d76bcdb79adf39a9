"""Rules H (headers and cookies) and T (streamed responses) of docs/protocol.md, on every client."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest

from ajaxkit import Ajax
from ajaxkit.core.encoding import JSONEncoder
from tests.conformance.app import STREAM_CLOSED, STREAM_GENERATORS
from tests.conformance.clients.base import Client


def _lines(content: bytes) -> list[object]:
    return [orjson.loads(line) for line in content.splitlines() if line]


# --- H: headers and cookies -------------------------------------------------


def test_H1_two_set_cookie_headers_arrive(client: Client) -> None:
    response = client.post("/ajax/cookies/set")
    assert response.status == 200
    cookies = response.header_list("set-cookie")
    assert len(cookies) == 3, cookies
    by_name = {c.split("=", 1)[0]: c.lower() for c in cookies}
    assert by_name["theme"].startswith("theme=dark")
    assert "max-age=3600" in by_name["theme"]
    assert "httponly" in by_name["theme"]
    assert "secure" in by_name["theme"]
    assert "samesite=strict" in by_name["lang"]
    assert "path=/ajax" in by_name["lang"]
    assert "max-age=0" in by_name["old"] or "expires=thu, 01 jan 1970" in by_name["old"]


def test_H1_set_cookie_headers_written_by_hand_arrive_one_each(client: Client) -> None:
    # Never joined into one line, as other repeated headers may be (H2): a
    # browser would read "a=1; Path=/, b=2" as one cookie, with a broken path.
    cookies = client.post("/ajax/cookies/raw").header_list("set-cookie")
    assert len(cookies) == 2, cookies
    by_name = {c.split("=", 1)[0]: c.lower() for c in cookies}
    assert by_name["sid"].startswith("sid=s3cret")
    assert "httponly" in by_name["sid"]
    assert "path=/" in by_name["sid"]
    assert by_name["seen"].startswith("seen=1")
    assert "max-age=60" in by_name["seen"]
    assert "path=/ajax" in by_name["seen"]
    assert "samesite=lax" in by_name["seen"]


def test_H1_cookies_of_one_name_on_two_paths_both_arrive(client: Client) -> None:
    # Moving a cookie: the browser keeps one per (name, path, domain), so
    # forgetting the old path takes its own Set-Cookie next to the new one's.
    cookies = client.post("/ajax/cookies/moved").header_list("set-cookie")
    by_path: dict[tuple[str, str], str] = {}
    for cookie in cookies:
        name = cookie.partition("=")[0]
        (path,) = (
            part.strip().partition("=")[2]
            for part in cookie.split(";")[1:]
            if part.strip().lower().startswith("path=")
        )
        by_path[name, path] = cookie.lower()
    assert len(cookies) == 4, cookies
    assert set(by_path) == {("pref", "/"), ("pref", "/ajax"), ("sid", "/"), ("sid", "/ajax")}
    assert "max-age=0" in by_path["pref", "/"]
    assert by_path["pref", "/ajax"].startswith("pref=2")
    assert "max-age=0" in by_path["sid", "/"]
    assert by_path["sid", "/ajax"].startswith("sid=3")


def test_H1_deleting_a_prefixed_cookie_sends_it_secure(client: Client) -> None:
    # A browser takes a __Secure- or __Host- cookie, its deletion included,
    # only with Secure: without it the cookie (a session, say) stayed.
    cookies = client.post("/ajax/cookies/forget-prefixed").header_list("set-cookie")
    by_name = {c.partition("=")[0]: c.lower() for c in cookies}
    assert set(by_name) == {"__Host-sid", "__Secure-pref"}, cookies
    for cookie in by_name.values():
        attributes = [part.strip() for part in cookie.split(";")[1:]]
        assert "secure" in attributes, cookie
        assert "max-age=0" in attributes, cookie
    assert "path=/" in by_name["__Host-sid"].split("; ")
    assert "domain" not in by_name["__Host-sid"]


def test_H1_a_cookie_name_no_header_can_carry_is_a_500_problem(client: Client) -> None:
    # The route names its cookie after the path: "ledger_[]" is no cookie
    # name (RFC 6265 token), refused where it is set, so every framework
    # answers the same logged 500 problem rather than failing while it
    # writes its headers (its own HTML 500, or none at all).
    response = client.post("/ajax/ledger/%5B%5D/cookie", json={"amount": 1})
    assert response.status == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.cookies == {}


@pytest.mark.parametrize(
    "case",
    [
        "path-line-break",
        "path-semicolon",
        "domain-semicolon",
        "path-past-ascii",
        "value-latin-1",
        "value-past-latin-1",
        "max-age-fraction",
        "max-age-text",
        "samesite-unknown",
        "secure-prefix-insecure",
        "host-prefix-insecure",
        "host-prefix-domain",
        "host-prefix-path",
        "samesite-none-insecure",
        "samesite-none-lower-case-insecure",
    ],
)
def test_H1_a_cookie_attribute_no_header_can_carry_is_a_500_problem(
    client: Client, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    # Refused where it is set, as a bad name is: left to the frameworks, a
    # path's line break or ";" went into the Set-Cookie line on some (a
    # header or a Domain of the path's choosing) and was escaped by others,
    # and a fractional or textual Max-Age failed one framework or another.
    # A value past ASCII was escaped as UTF-8 by one framework and as
    # Latin-1 by the others, which read it back as Latin-1 but for one (a
    # page's document.cookie reads neither), or could not be sent at all.
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.post(f"/ajax/cookies/attributes/{case}")
    assert response.status == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.cookies == {}
    assert "x-injected" not in response.headers
    error_id = response.json()["instance"].removeprefix("urn:uuid:")
    assert any("pref" in r.getMessage() and error_id in r.getMessage() for r in caplog.records)


def test_H1_a_host_prefixed_cookie_as_browsers_keep_it_is_sent(client: Client) -> None:
    (cookie,) = client.post("/ajax/cookies/attributes/host-prefix").header_list("set-cookie")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert cookie.startswith("__Host-pref=1")
    assert "secure" in attributes
    assert "path=/" in attributes


def test_H1_a_samesite_none_cookie_as_browsers_keep_it_is_sent(client: Client) -> None:
    (cookie,) = client.post("/ajax/cookies/attributes/samesite-none").header_list("set-cookie")
    attributes = [part.strip() for part in cookie.split(";")[1:]]
    assert "SameSite=None" in attributes
    assert "secure" in [attribute.lower() for attribute in attributes]


def test_H1_samesite_is_sent_in_its_one_spelling(client: Client) -> None:
    (cookie,) = client.post("/ajax/cookies/attributes/samesite-lower-case").header_list(
        "set-cookie"
    )
    assert "SameSite=Strict" in cookie


def test_H1_a_quoted_cookie_value_reads_back_as_it_was_set(client: Client) -> None:
    # Quoted and escaped the one way every framework and request.cookies read.
    (cookie,) = client.post("/ajax/cookies/attributes/value-quoted").header_list("set-cookie")
    sent = cookie.partition(";")[0]
    assert client.get("/ajax/cookies/echo", headers={"Cookie": sent}).json() == {
        "pref": 'a b, "c"; \\d'
    }


@pytest.mark.parametrize("case", ["path-none", "path-empty"])
def test_H1_a_cookie_without_a_path_is_sent_without_one(client: Client, case: str) -> None:
    # No Path attribute: the browser scopes the cookie to the directory of
    # the request's path (RFC 6265bis, default-path), here /ajax/cookies.
    # One framework once sent Path=/ instead, widening it to the whole site.
    (cookie,) = client.post(f"/ajax/cookies/attributes/{case}").header_list("set-cookie")
    assert cookie.startswith("pref=1")
    attributes = [part.partition("=")[0].strip().lower() for part in cookie.split(";")[1:]]
    assert attributes == ["samesite"], cookie


@pytest.fixture
def server_far_from_utc() -> Iterator[None]:
    """The process's local time six hours behind UTC (``time.tzset``)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Chicago"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.usefixtures("server_far_from_utc")
def test_H1_a_naive_expiry_is_utc_time(client: Client) -> None:
    # As Django and Flask read it; the others once read it as the server's
    # local time, hours away from it.
    (cookie,) = client.post("/ajax/cookies/attributes/expires-naive").header_list("set-cookie")
    assert "01 jan 2030 00:00:00 gmt" in cookie.lower()


def test_H2_repeated_response_headers_are_all_sent(client: Client) -> None:
    response = client.post("/ajax/cookies/set")
    links = [part.strip() for value in response.header_list("link") for part in value.split(",")]
    assert links == ["</a>; rel=preload", "</b>; rel=preload"]


#: Header names no response can carry (RFC 9110 token), and values (control
#: characters, CR and LF above all, and text past Latin-1).
_BAD_HEADERS = [
    ("X-Echo", "a\r\nSet-Cookie: sid=forged"),
    ("X-Echo", "a\nb"),
    ("X-Echo", "a\rb"),
    ("X-Echo", "a\x00b"),
    ("X-Echo", "a\x01b"),
    ("X-Echo", "\u65e5\u672c"),
    ("X Echo", "a"),
    ("X:Echo", "a"),
    ("X-Echo\r\nSet-Cookie", "sid=forged"),
    ("", "a"),
]


@pytest.mark.parametrize("shape", ["tuple", "response", "stream", "error"])
@pytest.mark.parametrize(("name", "value"), _BAD_HEADERS)
def test_H4_a_header_no_response_can_carry_is_a_logged_500_problem(
    client: Client, caplog: pytest.LogCaptureFixture, shape: str, name: str, value: str
) -> None:
    # Written from the request (a file name, a redirect target), a line
    # break would have split the response and set a cookie on some servers.
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.get(f"/ajax/headers/echo/{shape}", params={"name": name, "value": value})
    assert response.status == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "x-echo" not in response.headers
    assert response.cookies == {}
    error_id = response.json()["instance"].removeprefix("urn:uuid:")
    logged = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
    assert any("echo_header" in m and "header" in m for m in logged), logged


@pytest.mark.parametrize(
    ("shape", "status"), [("tuple", 200), ("response", 200), ("stream", 200), ("error", 409)]
)
def test_H4_header_values_with_tabs_and_spaces_are_sent(
    client: Client, shape: str, status: int
) -> None:
    value = 'attachment; filename="a b.txt";\tsize=1'
    response = client.get(f"/ajax/headers/echo/{shape}", params={"name": "X-Echo", "value": value})
    assert response.status == status
    assert response.headers["x-echo"] == value


def test_H4_a_whole_number_header_value_is_sent_in_decimal(client: Client) -> None:
    response = client.get("/ajax/headers/count")
    assert response.status == 200
    assert response.headers["x-total-count"] == "3"


def test_H3_request_cookies_are_readable(client: Client) -> None:
    response = client.get("/ajax/cookies/echo", headers={"Cookie": 'a=1; b="two words"; junk'})
    assert response.status == 200
    assert response.json() == {"a": "1", "b": "two words"}


def test_H3_a_request_sends_its_own_cookie_header_alone(client: Client) -> None:
    # The client's jar holds cookies a response set; a request giving its
    # own Cookie header sends that, as a browser's fetch() with credentials
    # omitted would, on every client (one used to send the jar's beside it).
    client.post("/ajax/cookies/set")
    response = client.get("/ajax/cookies/echo", headers={"Cookie": "a=1"})
    assert response.json() == {"a": "1"}


# --- T: streams -------------------------------------------------------------


def test_T1_sync_iterator_streams_ndjson(client: Client) -> None:
    response = client.get("/ajax/stream/sync", params={"n": 4})
    assert response.status == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert _lines(response.content) == [{"i": i} for i in range(4)]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_T1_an_iterator_in_a_status_tuple_streams_with_its_status_and_headers(
    client: Client, kind: str
) -> None:
    # (body, status, headers) as for any result (S2): it was a 500 saying
    # the generator "cannot be encoded", and the generator was never closed.
    response = client.get("/ajax/stream/tuple", params={"run": uuid.uuid4().hex, "kind": kind})
    assert response.status == 201
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["x-count"] == "2"
    assert _lines(response.content) == [{"i": 0}, {"i": 1}]


def test_T2_a_stream_in_a_status_tuple_takes_its_status_and_headers(client: Client) -> None:
    response = client.get("/ajax/stream/tuple", params={"kind": "raw"})
    assert (response.status, response.content) == (202, b"ab")
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-count"] == "2"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_T4_head_of_a_stream_in_a_tuple_closes_the_handlers_generator(
    client: Client, kind: str
) -> None:
    run = uuid.uuid4().hex
    response = client.request("HEAD", "/ajax/stream/tuple", params={"run": run, "kind": kind})
    assert (response.status, response.content) == (201, b"")
    generator = STREAM_GENERATORS.pop(run)
    frame = generator.gi_frame if kind == "sync" else generator.ag_frame
    assert frame is None


def test_T1_async_iterator_streams_ndjson(client: Client) -> None:
    response = client.get("/ajax/stream/async", params={"n": 3})
    assert response.status == 200
    assert _lines(response.content) == [{"i": i} for i in range(3)]


class _Indented(JSONEncoder):
    """A custom encoder writing JSON over several lines, each ended by ``newline``."""

    def __init__(self, newline: bytes) -> None:
        super().__init__()
        self._newline = newline

    def dumps(self, value: Any) -> bytes:
        compact = orjson.loads(super().dumps(value))
        indented = orjson.dumps(compact, option=orjson.OPT_INDENT_2)
        return indented.replace(b"\n", self._newline) + self._newline


#: Line breaks inside strings are escaped by the encoder; only its own may be raw.
MULTILINE = {"text": "two\nlines\r", "n": [1, 2], "nested": {"ok": True}}


def _multiline_api(newline: bytes) -> Ajax:
    api = Ajax(encoder=_Indented(newline))

    @api.endpoint("sync")
    def sync_items() -> Iterator[Any]:
        return iter([MULTILINE, {"i": 1}])

    @api.endpoint("async")
    def async_items() -> AsyncIterator[Any]:
        async def items() -> AsyncIterator[Any]:
            for item in (MULTILINE, {"i": 1}):
                await asyncio.sleep(0)
                yield item

        return items()

    @api.endpoint("fails")
    def failing_items() -> Iterator[Any]:
        yield MULTILINE
        raise RuntimeError("mid-stream failure")

    return api


def _records(content: bytes) -> list[Any]:
    """An NDJSON body read strictly: every record one line, ended by LF."""
    assert content.endswith(b"\n"), content
    return [orjson.loads(line) for line in content[:-1].split(b"\n")]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_T1_items_encoded_over_several_lines_stay_one_line_each(
    client_class: type[Client], kind: str, newline: bytes
) -> None:
    # The encoder's line breaks went out as they were: a reader splitting
    # at line ends got "{" as a record, and JSON.parse failed on every line.
    client = client_class(apis={"/ajax": _multiline_api(newline)})
    try:
        response = client.get(f"/ajax/{kind}")
        assert response.headers["content-type"] == "application/x-ndjson"
        assert b"\r" not in response.content
        assert _records(response.content) == [MULTILINE, {"i": 1}]
    finally:
        client.close()


def test_T3_the_error_line_stays_one_line_whatever_the_encoder_writes(
    client_class: type[Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = client_class(apis={"/ajax": _multiline_api(b"\r\n")})
    try:
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            response = client.get("/ajax/fails")
        first, last = _records(response.content)
        assert first == MULTILINE
        assert last["error"]["code"] == "internal_error"
    finally:
        client.close()


def test_T2_stream_object_sends_raw_chunks(client: Client) -> None:
    response = client.get("/ajax/stream/raw")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b"data: 1\n\ndata: 2\n\n"


def test_T3_error_mid_stream_is_logged_and_ends_the_stream(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    run = uuid.uuid4().hex
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.get("/ajax/stream/fails", params={"run": run})
    assert response.status == 200
    first, last = _lines(response.content)
    assert first == {"i": 0}
    assert isinstance(last, dict)
    problem = last["error"]
    assert problem["code"] == "internal_error"
    assert "secret" not in response.text
    records = [r for r in caplog.records if r.name == "ajaxkit"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "failing_stream" in message
    assert problem["instance"] == f"urn:uuid:{records[0].error_id}"  # type: ignore[attr-defined]  # from extra=
    assert STREAM_CLOSED.get(run) is True


def test_T4_head_of_a_stream_has_no_body(client: Client) -> None:
    response = client.request("HEAD", "/ajax/stream/sync")
    assert response.status == 200
    assert response.content == b""


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_T4_head_of_a_stream_closes_the_handlers_chunks(client: Client, kind: str) -> None:
    # The handler ran and its chunks are never sent: whatever they hold
    # (a file, a cursor) is released now, not when the collector finds them.
    run = uuid.uuid4().hex
    response = client.request("HEAD", "/ajax/stream/held", params={"run": run, "kind": kind})
    assert (response.status, response.content) == (200, b"")
    assert STREAM_CLOSED.get(run) is True


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_T4_head_of_a_stream_closes_the_handlers_generator(client: Client, kind: str) -> None:
    run = uuid.uuid4().hex
    response = client.request("HEAD", "/ajax/stream/generator", params={"run": run, "kind": kind})
    assert (response.status, response.content) == (200, b"")
    generator = STREAM_GENERATORS.pop(run)
    frame = generator.gi_frame if kind == "sync" else generator.ag_frame
    assert frame is None  # closed: a started one would have run its finally


@pytest.mark.parametrize("path", ["/ajax/stream/sync", "/ajax/stream/raw"])
def test_T4_head_of_a_stream_claims_no_length(client: Client, path: str) -> None:
    # A stream's length is unknown until it is sent: "Content-Length: 0"
    # would tell a cache the resource is empty.
    response = client.request("HEAD", path)
    assert response.status == 200
    assert "content-length" not in response.headers
