"""One stranger's request, sent to every client, gets one answer.

``test_fuzz`` checks each integration on its own (no 5xx, problems on
errors); this suite checks them against each other.  Hypothesis draws a
request (method, route with path parameters, a query given as params or
written in the path, headers, a JSON, form, multipart, batch or garbage
body) and it is sent to every client class, anonymous and signed in; each
answer is compared with the framework-free reference client's: the status,
the whole problem document, the body of a success, the headers ajaxkit
writes, HEAD's ``Content-Length`` and the names of the cookies set.

What may legitimately differ is set aside below, each with its reason:
routes whose answer depends on state or time (:data:`STATEFUL`), headers
that are the framework's or the server's (not in :data:`OWNED_HEADERS`), a
500's error id and a debug traceback's frames (:func:`_comparable`), the
test clients' own cookie jars, dot segments and CSRF decisions left to a
token (which the sending library or Django's test client decide), and
two declared differences of a client: ``refused_before_mount`` (Django's
query limit, docs/django.md) and ``hidden_bad_request`` (rule P7).  The
rest must be equal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ajaxkit import ClientError
from tests.conformance.app import TRUSTED_ORIGIN, Natives, build_api
from tests.conformance.clients.base import CLIENTS, Client, Response
from tests.conformance.test_fuzz import ROUTES, _unused, send
from tests.fuzz_strategies import (
    BODY_METHODS,
    FUZZ_EXAMPLES,
    KNOWN_NAMES,
    METHODS,
    FuzzRequest,
    bodies,
    header_values,
    hostile_numbers,
    hostile_text,
    path_segments,
    query_pairs,
)

REFERENCE = "reference"

#: Routes whose answer depends on something other than the request, so two
#: clients asked the same thing in turn may rightly answer differently.
STATEFUL = frozenset(
    {
        # Rows in a store every earlier test (and client) wrote to.
        "items",
        "items/{pk}",
        "marks",
        "marks/{pk}",
        "fragile",
        "fragile/{pk}",
        "ledger/{name}",
        "ledger/{name}/cookie",
        "ledger/{name}/native-cookie",
        "vault/{name}",
        # A fresh random token each time.
        "_csrf",
        # Live state: the broker's cursors and subscriber counts grow, and
        # a poll or an event stream lasts as long as the clock says.
        "_live/poll",
        "_live/sse",
        "live/publish",
        "live/revoke-me",
        "live/subscribers",
        # Says which server runs it: a declared difference (async_server).
        "live/server-kind",
    }
)
#: A native response is the framework's own object, declared per client
#: (capability ``native``): its headers are the framework's to write
#: (Starlette's adds a charset to text/plain).  The status and headers a
#: tuple gives one are held the same everywhere by rule S7's tests.
NATIVE = frozenset(
    {"native", "native/cookies", "native/stream", "native/binary", "native/latin1"}
    | {"status/native", "status/native-headers"}
)

#: ``test_fuzz`` leaves out the routes that fail on purpose and the streams;
#: those answer deterministically, so here they are put back (less the
#: stream whose handler records its runs) and only the above are left out.
DIFFERENTIAL_ROUTES = sorted(
    (
        {*ROUTES, "errors/boom", "encode/bad", "errors/native/{kind}", "status/invalid"}
        | {"status/fractional", "status/body/{kind}", "headers/echo/{shape}"}
        | {"stream/sync", "stream/async", "stream/raw"}
    )
    - STATEFUL
    - NATIVE
)

#: The methods each route answers (a WebSocket route answers none over HTTP).
ROUTE_METHODS = {
    route.pattern: tuple(sorted(set(route.endpoints) - {"WEBSOCKET"}))
    for route in build_api(Natives(response=_unused, raise_exception=_unused)).router
}

#: The headers ajaxkit writes, compared value for value (every repeat, in order).
#: Others are the framework's or the server's (Date, Server, Content-Length,
#: Vary: Cookie from a session middleware) and not ajaxkit's promise.
OWNED_HEADERS = (
    "content-type",
    "allow",
    "accept-post",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "cache-control",
    "x-content-type-options",
    "location",
    "etag",
    "idempotent-replayed",
    "x-accel-buffering",
    "x-custom",
    "x-why",
)

#: Cookies the test harness itself reads to log a user in (Starlette's auth
#: backend, Django's and Flask's sessions, Flask-Login's remember-me cookie):
#: a stranger sending one would be logged in on one client and not the
#: others by the test setup, not ajaxkit (and answered ``no-store`` there,
#: rule Y2, as the credentials it is).
HARNESS_COOKIES = ("test_user", "sessionid", "session", "remember_token", "csrftoken")

#: Routes a signed-in request (or batch item) leaves out: ``cookies/echo``
#: would echo the jar's login cookie, which each harness names its own way.
SIGNED_IN_LEFT_OUT = frozenset({"cookies/echo"})

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

#: Values a path parameter takes: plain ones that route, hostile ones that
#: must not.  Not a dot segment ("." or ".."): URL parsers resolve those
#: before sending (browsers, and httpx under the Starlette and FastAPI
#: clients) while others send them as they are, so which path the server
#: sees is the sending library's choice.
_path_values = st.one_of(
    st.sampled_from(["1", "0", "-1", "not_found", "forbidden", "bad_request", "x"]),
    path_segments().filter(lambda segment: segment not in (".", "..")),
)


def _path(draw: st.DrawFn, pattern: str) -> str:
    mount = draw(st.sampled_from(["/ajax/", "/ajax/", "/ajax/", "/ajax-debug/"]))
    return mount + _PARAM.sub(lambda _: draw(_path_values), pattern)


#: Small, likely queries (repeats, blanks, percent signs, Unicode) beside the
#: hostile ones of :func:`query_pairs`.
_plain_values = st.sampled_from(
    ["", "1", "2", " ", "a", "%", "%41", "é", "五", "2024-05-17", "x,y"]
)
_likely_queries = st.lists(
    st.tuples(
        st.sampled_from((*KNOWN_NAMES, "page", "when", "note", "label", "kind")), _plain_values
    ),
    max_size=6,
)

#: Query strings as written in a URL, not encoded by the test client: "+"
#: for a space, escapes of bytes that are not UTF-8, "=" in a value, ";".
_raw_queries = st.lists(
    st.sampled_from(
        [
            *("q=a+b", "q=%2B", "q", "q=", "=x", "limit=%31", "q=a;limit=2", "q=%zz"),
            *("q=%E4%BA%94", "q=%ff", "&", "q=1=2", "limit=+1", "q=%00", "ids=1&ids=2"),
            *("tags=", "n=%C2%B2"),
        ]
    ),
    min_size=1,
    max_size=4,
).map("&".join)

_accepts = st.sampled_from(
    [
        "application/json",
        "application/problem+json",
        "text/html",
        "*/*",
        "text/event-stream",
        "application/json;q=0, text/html",
        "",
    ]
)
_charsets = st.sampled_from(
    ["", "; charset=utf-8", "; charset=latin-1", "; charset=utf-16", "; charset=nope"]
)
_origins = st.sampled_from([TRUSTED_ORIGIN, "http://evil.example", "null"])


def _cookies() -> st.SearchStrategy[str]:
    return header_values.filter(lambda value: not any(name in value for name in HARNESS_COOKIES))


@st.composite
def _headers(draw: st.DrawFn, signed_in: bool) -> dict[str, str]:
    optional = {
        "Accept": _accepts,
        "Origin": _origins,
        "If-None-Match": st.one_of(header_values, st.just("*")),
        "X-Requested-With": st.just("XMLHttpRequest"),
        "X-Custom": header_values,
        # Fetch Metadata decides CSRF before any token (rule X).  Left out:
        # "none" or an unknown value without an Origin, which leaves the
        # decision to the token: on Django that is Django's own check
        # (capability csrf_token_always), which its test client skips unless
        # told to enforce it; token decisions are test_csrf's to compare.
        "Sec-Fetch-Site": st.sampled_from(["same-origin", "same-site", "cross-site"]),
    }
    if not signed_in:
        # A signed-in client's login rides in its jar's cookie, which a
        # Cookie header of the request's own replaces on some test clients
        # (signing the user out) and not on the reference (no cookie there).
        optional["Cookie"] = _cookies()
    names = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=3))
    return {name: draw(optional[name]) for name in names}


#: Integers JSON can carry here (orjson writes 64 bits; past that is
#: :data:`hostile_numbers`' business, as text).
_json_integers = st.integers(min_value=-(2**63), max_value=2**64 - 1)
_fields = st.dictionaries(
    st.sampled_from(KNOWN_NAMES),
    st.one_of(hostile_text, hostile_numbers, _json_integers),
    max_size=4,
)


@st.composite
def _batch_item(draw: st.DrawFn, signed_in: bool) -> dict[str, Any]:
    """One item of a batch: any route of the app (a batch and a long-poll
    included, refused as items), a method, params, a body, headers."""
    routes = [r for r in DIFFERENTIAL_ROUTES if not signed_in or r not in SIGNED_IN_LEFT_OUT]
    pattern = draw(st.sampled_from([*routes, "_batch", "_live/poll", "nope"]))
    item: dict[str, Any] = {"path": _PARAM.sub(lambda _: draw(_path_values), pattern)}
    optional = {
        "method": st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"]),
        "params": st.dictionaries(
            st.sampled_from(KNOWN_NAMES),
            st.one_of(_plain_values, _json_integers, st.lists(_plain_values, max_size=3)),
            max_size=3,
        ),
        "body": st.one_of(_fields, hostile_text, st.none()),
        "headers": st.dictionaries(
            st.sampled_from(["Cookie", "Accept", "Origin", "X-Custom", "Content-Type"]),
            header_values,
            max_size=2,
        ),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
        item[name] = draw(optional[name])
    # A body on a GET or HEAD item refuses the whole batch (K6): kept now
    # and then, or few batches would run.
    bodiless = item.get("method", "GET") in ("GET", "HEAD")
    if item.get("body") is not None and bodiless and draw(st.integers(0, 9)):
        item["method"] = draw(st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]))
    return item


def _batches(signed_in: bool) -> st.SearchStrategy[tuple[bytes, str]]:
    """Batch bodies: their items answered as if sent alone (rules K1-K6)."""
    return st.fixed_dictionaries(
        {"items": st.lists(_batch_item(signed_in), max_size=6)},
        optional={"atomic": st.booleans()},
    ).map(lambda doc: (orjson.dumps(doc), "application/json"))


@st.composite
def _bodies(draw: st.DrawFn, pattern: str, signed_in: bool) -> tuple[bytes, str]:
    """Bodies handlers can bind (JSON of known names, forms, batches) or the
    fuzz suite's hostile ones."""
    if pattern == "_batch" and draw(st.booleans()):
        return draw(_batches(signed_in))
    likely = st.one_of(
        _fields.map(lambda doc: (orjson.dumps(doc), "application/json")),
        st.lists(st.tuples(st.sampled_from(KNOWN_NAMES), _plain_values), max_size=4).map(
            lambda pairs: (
                "&".join(f"{k}={v}" for k, v in pairs).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
    )
    content, content_type = draw(st.one_of(likely, bodies()))
    if content_type:
        content_type += draw(_charsets)
    return content, content_type


@st.composite
def differential_requests(draw: st.DrawFn, signed_in: bool = False) -> FuzzRequest:
    """A request for every client; ``signed_in``: for clients with a user logged in."""
    left_out = SIGNED_IN_LEFT_OUT if signed_in else frozenset()
    routes = [route for route in DIFFERENTIAL_ROUTES if route not in left_out]
    pattern = draw(st.sampled_from([*routes, "{unknown}", "notes/{pk}/{extra}"]))
    # Mostly a method the route answers, so requests get past the 405.
    answered = ROUTE_METHODS.get(pattern) or ("GET",)
    method = draw(st.one_of(*[st.sampled_from(answered)] * 3, st.sampled_from(METHODS)))
    headers = draw(_headers(signed_in))
    query = draw(st.one_of(_likely_queries, _likely_queries, query_pairs()))
    content = None
    if pattern.startswith("stream/"):
        # A stream's length is its handler's business (n=10**18 is a long
        # stream, not a bug): the streams are asked with their own length.
        method = draw(st.sampled_from(["GET", "HEAD"]))
        query = [(name, value) for name, value in query if name != "n"]
    elif method in BODY_METHODS:
        content, content_type = draw(_bodies(pattern, signed_in))
        if content_type:
            headers["Content-Type"] = content_type
    if pattern in ("cookies/echo", "_batch") and not signed_in:
        # Without a Cookie header of its own the request (and a batch's
        # items, rule K3) carries the test client's jar, which each harness
        # keeps its own way (Secure cookies over http, a deleted cookie as
        # ""): the jar's state, not ajaxkit's.  A header of the request's
        # own wins over the jar on every client.
        headers.setdefault("Cookie", draw(_cookies()))
    path = _path(draw, pattern)
    if draw(st.integers(0, 4)) == 0:
        # Written in the path instead (a test client given both refuses).
        path, query = f"{path}?{draw(_raw_queries)}", []
    return FuzzRequest(method, path, query, headers, content)


# --- comparing answers --------------------------------------------------------------


def _problem(response: Response) -> Any:
    if response.headers.get("content-type") != "application/problem+json":
        return None
    # A problem answering HEAD has its headers and no body.
    return orjson.loads(response.content) if response.content else {}


def _comparable_json(value: Any) -> Any:
    """``value`` with every problem inside it (a batch's items) made comparable."""
    if isinstance(value, list):
        return [_comparable_json(each) for each in value]
    if not isinstance(value, dict):
        return value
    value = {key: _comparable_json(each) for key, each in value.items()}
    return _comparable(value) if "code" in value and "instance" in value else value


def _comparable(problem: dict[str, Any]) -> dict[str, Any]:
    """``problem`` less what rightly differs from one answer to the next.

    A 500's ``instance`` is a fresh ``urn:uuid:`` per request (rule P4).  A
    debug 500's ``exception`` (rule P5) keeps its type and message; its
    ``traceback`` lists the frames that ran, and those are the server's
    (sync or async runner) and the framework's (a native exception raised
    by the client's own ``Natives``), not ajaxkit's answer.
    """
    problem = dict(problem)
    instance = problem.get("instance")
    if isinstance(instance, str) and instance.startswith("urn:uuid:"):
        problem["instance"] = "urn:uuid:(error id)"
    exception = problem.get("exception")
    if isinstance(exception, dict):
        problem["exception"] = {k: v for k, v in exception.items() if k != "traceback"}
    return problem


def _body(response: Response) -> Any:
    """What a success says: parsed JSON when it is JSON, the bytes otherwise."""
    content_type = response.headers.get("content-type") or ""
    if content_type.split(";")[0] in ("application/json", "text/json") and response.content:
        try:
            return _comparable_json(orjson.loads(response.content))
        except orjson.JSONDecodeError:  # labelled JSON by a handler, and not (status/not-json)
            return response.content
    return response.content


def _owned_headers(response: Response) -> dict[str, list[str]]:
    return {
        name: response.header_list(name) for name in OWNED_HEADERS if response.header_list(name)
    }


def _cookie_names(response: Response) -> list[str]:
    return sorted(response.cookies)


def _head_length(request: FuzzRequest, response: Response) -> str | None:
    """A HEAD answer's ``Content-Length``, the core's (rule S5), where it is
    comparable: not a debug 500's, whose body holds the frames that ran."""
    if request.method != "HEAD":
        return None  # the framework's or the server's, as for any body
    if response.status >= 500 and request.path.startswith("/ajax-debug/"):
        return None
    return response.headers.get("content-length")


def answer(request: FuzzRequest, response: Response) -> dict[str, Any]:
    """The parts of ``response`` to ``request`` every client must agree on."""
    problem = _problem(response)
    summary: dict[str, Any] = {
        "status": response.status,
        "headers": _owned_headers(response),
        "head_length": _head_length(request, response),
        "cookies": _cookie_names(response),
    }
    if problem is not None:
        summary["code"] = problem.get("code")
        summary["problem"] = _comparable(problem)
    else:
        summary["body"] = _body(response) if 200 <= response.status < 300 else response.content
    return summary


#: The fields a framework parses a query into before the mount (Django's
#: ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` default).
FRAMEWORK_FIELD_LIMIT = 1000


def _refused_by_the_framework(request: FuzzRequest) -> bool:
    """The one request a client may refuse before the mount (see
    ``Client.refused_before_mount``): a charset named, a query past the limit."""
    content_type = request.headers.get("Content-Type", "")
    return "charset=" in content_type and len(request.params) > FRAMEWORK_FIELD_LIMIT


def _hidden_bad_request(request: FuzzRequest, expected: dict[str, Any]) -> dict[str, Any]:
    """The reference's answer as a client hiding its native bad request's text
    (capability ``hidden_bad_request``, rule P7) must give it: the native
    ``bad_request`` problem with the default ``detail``, all else alike."""
    problem = expected.get("problem")
    native = request.path.rpartition("/")[0].endswith("/errors/native")
    if not native or problem is None or problem.get("code") != ClientError.code:
        return expected
    return {**expected, "problem": {**problem, "detail": ClientError.detail}}


def _difference(
    name: str, request: FuzzRequest, got: dict[str, Any], expected: dict[str, Any]
) -> str:
    parts = {key for key in {*got, *expected} if got.get(key) != expected.get(key)}
    lines = [f"{name} answers {request!r} unlike the reference:"]
    for key in sorted(parts):
        lines.append(f"  {key}: {name} {str(got.get(key))[:300]}")
        lines.append(f"  {key}: reference {str(expected.get(key))[:300]}")
    return "\n".join(lines)


# --- the suite ----------------------------------------------------------------------


def _marks() -> list[pytest.MarkDecorator]:
    names = sorted({mark for cls in CLIENTS for mark in cls.marks})
    return [getattr(pytest.mark, name) for name in names]


@pytest.fixture(scope="module")
def every_client() -> Iterator[dict[str, Client]]:
    """One client of each class for the whole module: making them is the slow part."""
    made: dict[str, Client] = {}
    try:
        for cls in CLIENTS:
            made[cls.name] = cls()
        yield made
    finally:
        # Last made, first closed: a client's settings overrides (Django's)
        # restore what was in force when it was made.
        for client in reversed(made.values()):
            client.close()


#: Anonymous examples (a third as many per signed-in user): about 10 s in
#: all for every client, with :data:`FUZZ_EXAMPLES` at its default.
DIFFERENTIAL_EXAMPLES = FUZZ_EXAMPLES * 8
DIFFERENTIAL_SETTINGS = settings(
    max_examples=DIFFERENTIAL_EXAMPLES,
    deadline=None,
    # The everyday run is the same every time; a longer hunt explores.
    derandomize="AJAXKIT_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


#: Requests that once got different answers, always tried first (each has a
#: focused test beside its rule too).
REGRESSIONS = (
    # Hand-built AjaxResponses lacked nosniff on the framework-free client (Y1).
    FuzzRequest("GET", "/ajax/ajaxkit.js", []),
    FuzzRequest("GET", "/ajax/_openapi.json", []),
    # Django's async test client decoded the path as Latin-1 (U10).
    FuzzRequest("GET", "/ajax/nope%C3%9C", []),
    # A batch item GET to a POST-only endpoint made the batch a 405 (K1).
    FuzzRequest(
        "POST",
        "/ajax/_batch",
        [],
        {"Content-Type": "application/json", "Cookie": "a=1"},
        b'{"items": [{"path": "hello"}, {"path": "only-post"}]}',
    ),
    # HEAD of a stream said Content-Length: 0 on Flask (T4); HEAD of a
    # problem said its length on Flask alone (S5).
    FuzzRequest("HEAD", "/ajax/stream/raw", []),
    FuzzRequest("HEAD", "/ajax/whoami", []),
    # Flask bound a percent-escape that is not UTF-8 as "%FF" (U11).
    FuzzRequest("GET", "/ajax/users/search?q=a+b&q=%ff", []),
    # An empty body labelled multipart without a boundary: Flask bound it
    # as an empty form ({}), the others as no body.
    FuzzRequest("POST", "/ajax/echo", [], {"Content-Type": "multipart/form-data"}, b""),
)


def _with_regressions(test: Any) -> Any:
    for request in REGRESSIONS:
        test = example(request=request)(test)
    return test


def test_differential_routes_cover_the_app() -> None:
    assert {"hello", "echo", "notes/{pk}", "errors/boom", "stream/sync"} <= set(DIFFERENTIAL_ROUTES)
    assert not STATEFUL & set(DIFFERENTIAL_ROUTES)


def _signed_in(clients: dict[str, Client], user: str | None) -> AbstractContextManager[None]:
    """Every client logged in as ``user`` (none: anonymous) for the block."""

    @contextmanager
    def session() -> Iterator[None]:
        if user is None:
            yield
            return
        for client in clients.values():
            client.login(user)
        try:
            yield
        finally:
            for client in clients.values():
                client.logout()

    return session()


@pytest.mark.parametrize(
    "user",
    # Anonymous, a user, and the one is_admin lets through (admin-only).
    [pytest.param(user, marks=_marks()) for user in (None, "alice", "admin")],
    ids=["anonymous", "signed-in", "admin"],
)
def test_differential_every_client_answers_as_the_reference(
    user: str | None, every_client: dict[str, Client]
) -> None:
    reference = every_client[REFERENCE]
    others = {name: client for name, client in every_client.items() if name != REFERENCE}
    examples = DIFFERENTIAL_EXAMPLES if user is None else DIFFERENTIAL_EXAMPLES // 3

    def compare(request: FuzzRequest) -> None:
        expected = answer(request, send(reference, request))
        for name, client in others.items():
            try:
                got = answer(request, send(client, request))
            except client.refused_before_mount:
                assert _refused_by_the_framework(request), request
                continue
            expected_here = expected
            if "hidden_bad_request" in client.capabilities:
                expected_here = _hidden_bad_request(request, expected_here)
            assert got == expected_here, _difference(name, request, got, expected_here)

    if user is None:
        # Anonymous only: a signed-in client's own Cookie header signs it out.
        compare = _with_regressions(compare)
    requests = differential_requests(signed_in=user is not None)
    check = settings(DIFFERENTIAL_SETTINGS, max_examples=examples)(given(request=requests)(compare))
    with _signed_in(every_client, user):
        check()
