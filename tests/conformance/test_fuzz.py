"""Hostile requests to every endpoint of the conformance app, on every client.

Properties, whatever the input: never a 5xx, and every non-2xx answer under
the mount is ``application/problem+json``.  The endpoints that fail on
purpose are left out (they answer 500 by design), and so are the streams,
whose length is their handler's business (``n=10**18`` is a long stream,
not a bug).
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.endpoint import Endpoint
from tests.conformance.app import Natives, build_api
from tests.conformance.clients.base import Client, Response
from tests.fuzz_strategies import (
    EDGE_NUMBERS,
    FUZZ_SETTINGS,
    METHODS,
    FuzzRequest,
    bodies,
    declared_lengths,
    header_values,
    hostile_text,
    path_segments,
    query_pairs,
    requests,
)

#: Routes that answer 5xx (or a non-problem native response) on purpose.
DELIBERATE = frozenset(
    {
        "errors/boom",
        "encode/bad",
        "encode/edges/{kind}",
        "results/mismatch",
        "errors/native/{kind}",
        "errors/native-bare/{kind}",
        "status/invalid",
        "status/fractional",
        "status/body/{kind}",
        "headers/echo/{shape}",
        "cookies/attributes/{case}",
        "stream/fails",
        "native",
    }
)


def _unused(*args: object) -> None:
    raise AssertionError("the fuzz suite never calls the native endpoints")


def fuzzed_routes(body_readers: bool = False) -> list[str]:
    """Routes of the conformance app less :data:`DELIBERATE` and the streams.

    With ``body_readers``, only those whose POST handler reads the body:
    it binds parameters, or it is ``echo`` (which returns ``request.data``).
    """
    api = build_api(Natives(response=_unused, raise_exception=_unused))
    return sorted(
        route.pattern
        for route in api.router
        if route.pattern not in DELIBERATE
        and not route.pattern.startswith("stream/")
        and (not body_readers or _reads_body(route.pattern, route.endpoints.get("POST")))
    )


def _reads_body(pattern: str, endpoint: Endpoint | None) -> bool:
    return endpoint is not None and (pattern == "echo" or endpoint.shape.binder is not None)


ROUTES = fuzzed_routes()
BODY_ROUTES = fuzzed_routes(body_readers=True)
_PARAM = re.compile(r"\{\w+(?::\w+)?\}")


@st.composite
def paths(draw: st.DrawFn) -> str:
    """A route of the app with its parameters (or an unknown tail) fuzzed."""
    pattern = draw(st.sampled_from([*ROUTES, "{unknown}", "notes/{pk}/{extra}"]))
    return "/ajax/" + _PARAM.sub(lambda _: draw(path_segments()), pattern)


def plain_path(route: str) -> str:
    """``route`` with every parameter filled in harmlessly."""
    return "/ajax/" + _PARAM.sub("1", route)


def assert_well_behaved(response: Response, request: FuzzRequest) -> None:
    """The two properties: no 5xx, and problem+json for every non-2xx."""
    assert response.status < 500, (request, response.content[:300])
    if response.status >= 300:
        assert response.headers.get("content-type") == "application/problem+json", (
            request,
            response.status,
            response.content[:300],
        )


def send(client: Client, request: FuzzRequest) -> Response:
    return client.request(
        request.method,
        request.path,
        params=request.params,
        content=request.content,
        headers=request.headers,
    )


def test_fuzz_routes_cover_the_app() -> None:
    assert {"hello", "echo", "notes/{pk}", "params/model", "params/upload"} <= set(ROUTES)
    assert {"echo", "params/model", "params/upload", "users/search"} <= set(BODY_ROUTES)


def test_fuzz_hostile_requests_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(request=requests(paths()))
    def check(request: FuzzRequest) -> None:
        assert_well_behaved(send(client, request), request)

    check()


def test_fuzz_hostile_paths_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(path=paths(), method=st.sampled_from(METHODS))
    def check(path: str, method: str) -> None:
        request = FuzzRequest(method, path, [])
        assert_well_behaved(send(client, request), request)

    check()


def test_fuzz_hostile_query_strings_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(route=st.sampled_from(ROUTES), params=query_pairs())
    def check(route: str, params: list[tuple[str, str]]) -> None:
        request = FuzzRequest("GET", plain_path(route), params)
        assert_well_behaved(send(client, request), request)

    check()


def test_fuzz_hostile_bodies_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(body=bodies())
    def check(body: tuple[bytes, str]) -> None:
        content, content_type = body
        headers = {"Content-Type": content_type} if content_type else {}
        # Every body to every handler that reads one: what one accepts
        # (echo) another may choke on (a binder).
        for route in BODY_ROUTES:
            request = FuzzRequest("POST", plain_path(route), [], headers, content)
            assert_well_behaved(send(client, request), request)

    check()


def _honest(declared: str) -> bool:
    """A length an empty body would contradict (the test clients then fail themselves)."""
    digits = declared.isascii() and declared.isdigit() and len(declared.lstrip("0")) <= 7
    return digits and 0 < int(declared) <= 1024 * 1024


def test_fuzz_declared_lengths_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(declared=declared_lengths.filter(lambda value: not _honest(value)))
    def check(declared: str) -> None:
        # No body: a test client sending one would add a length of its own.
        headers = {"Content-Type": "application/json", "Content-Length": declared}
        request = FuzzRequest("POST", "/ajax/echo", [], headers, b"")
        assert_well_behaved(send(client, request), request)

    check()


def test_fuzz_hostile_bodies_under_csrf_get_problems_not_500s(client: Client, needs: Any) -> None:
    # Django's CSRF check parses form bodies itself (request.POST) first.
    needs("csrf")
    client.enforce_csrf()
    token = client.csrf_token()

    @FUZZ_SETTINGS
    @given(body=bodies(), with_token=st.booleans())
    def check(body: tuple[bytes, str], with_token: bool) -> None:
        content, content_type = body
        headers = {"Content-Type": content_type} if content_type else {}
        if with_token:
            headers["X-CSRFToken"] = token
        request = FuzzRequest("POST", "/ajax/echo", [], headers, content)
        assert_well_behaved(send(client, request), request)

    check()


# --- who is calling: keys and addresses a stranger writes --------------------------

#: X-Forwarded-For hops: addresses in every spelling, with ports, and junk.
_hops = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]:443"),
    st.ip_addresses(v=4).map(lambda ip: f"{ip}:{ip.packed[0] * 200}"),
    st.ip_addresses(v=4).map(lambda ip: f"::ffff:{ip}"),
    header_values.map(lambda value: value.replace(",", "")),
)
_idempotency_keys = st.one_of(
    st.uuids().map(lambda key: f'"{key}"'), header_values, st.just("x" * 300)
)


def _keyed_api() -> Ajax:
    """A registry counting by address behind two proxies, its POST idempotent."""
    api = Ajax(trusted_proxies=2)

    @api.endpoint("keyed", methods=["POST"], rate="1000/second", rate_key="ip")
    def keyed(request: AjaxRequest, n: int = 0) -> dict[str, int]:
        return {"n": n}

    return api


def test_fuzz_hostile_keys_and_forwarded_hops_get_problems_not_500s(
    client_class: type[Client],
) -> None:
    client = client_class(apis={"/ajax": _keyed_api()})

    @FUZZ_SETTINGS
    @given(hops=st.lists(_hops, max_size=5), key=st.one_of(st.none(), _idempotency_keys))
    def check(hops: list[str], key: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if hops:
            headers["X-Forwarded-For"] = ", ".join(hops)
        if key is not None:
            headers["Idempotency-Key"] = key
        request = FuzzRequest("POST", "/ajax/keyed", [], headers, b'{"n": 1}')
        assert_well_behaved(send(client, request), request)

    try:
        check()
    finally:
        client.close()


# --- live cursors and topics -------------------------------------------------------

_cursors = st.one_of(
    header_values,
    st.tuples(
        st.sampled_from(["", "e", "x" * 65, "ab_12"]), st.sampled_from((*EDGE_NUMBERS, "-1"))
    ).map(":".join),
)


def test_fuzz_hostile_live_cursors_and_topics_get_problems_not_500s(client: Client) -> None:
    @FUZZ_SETTINGS
    @given(
        topics=st.lists(st.one_of(st.sampled_from(["news", "chat/a"]), hostile_text), max_size=3),
        cursor=st.one_of(st.none(), _cursors),
    )
    def check(topics: list[str], cursor: str | None) -> None:
        params = [("topic", topic) for topic in topics] + [("timeout", "0")]
        if cursor is not None:
            params.append(("cursor", cursor))
        request = FuzzRequest("GET", "/ajax/_live/poll", params)
        assert_well_behaved(send(client, request), request)

    check()
