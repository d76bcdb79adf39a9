"""Each batch item's request carries the headers K3 allows, for any headers.

The headers of an item's request come from two strangers: the browser that
sent the batch request and the JSON of the item.  Whatever they are, the
item's request must carry exactly what the rules below give, which is what
``_reference_item_request`` (the derivation as first written, one item at a
time, kept here as the specification) computes:

- every header of the batch request, except those that describe its own
  body or condition (every ``Content-*``, ``Transfer-Encoding``,
  ``Digest``, ``Repr-Digest``, ``Idempotency-Key``, ``If-*``);
- the batch request's identity headers (``Cookie``, ``Authorization``,
  ``Origin``, ``Sec-Fetch-*``, CSRF tokens, what a proxy writes about the
  caller: ``Forwarded``, ``X-Forwarded-*``, ``X-Real-IP``...) as they are:
  an item's own are dropped (K3);
- the item's other headers, replacing an inherited one of the same name (as
  a ``fetch()``'s own header replaces the browser's), a name the item
  repeats joined, less those that would describe the body the batch writes for it
  (``Content-Length``, ``Transfer-Encoding``, ``Content-Encoding``);
- ``Content-Type: application/json`` for an item with a body, replacing the
  item's own.

Items of one batch are derived from the same batch request one after the
other, sharing what they inherit from it, so the test derives several from
one and checks each: one item's headers must never leak into the next's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.core.batch import BatchItem, _ItemRequests
from ajaxkit.core.steps import BATCH_ITEM
from ajaxkit.types import AjaxRequest, Headers, LazyHeaders, MultiDict

_IDENTITY = (
    "authorization",
    "cookie",
    "host",
    "origin",
    "referer",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "x-csrftoken",
    "x-csrf-token",
    "x-forwarded-for",
    "x-http-method-override",
    "forwarded",
    "x-real-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "cf-connecting-ip",
    "true-client-ip",
    "fastly-client-ip",
)
#: Every X-Forwarded-* identifies the caller too (the prefix, not a list).
_FORWARDED = ("x-forwarded-host", "x-forwarded-proto", "x-forwarded-port")
_OWN = (
    "transfer-encoding",
    "idempotency-key",
    "digest",
    "repr-digest",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
)
#: The batch request's besides: every Content-* (the prefix, not a list).
_CONTENT = ("content-length", "content-type", "content-language", "content-digest")
#: What describes a body: the batch writes an item's, so never the item's own.
_FRAMING = ("content-length", "transfer-encoding", "content-encoding")
#: What a browser sends besides, and names an item may well set itself.
_OTHER = ("accept", "accept-language", "user-agent", "sec-ch-ua", "x-requested-with", "prefer")


def _identity(name: str) -> bool:
    return name.lower() in _IDENTITY or name.lower().startswith("x-forwarded-")


def _batch_own(name: str) -> bool:
    return name.lower() in _OWN or name.lower().startswith("content-")


def _reference_item_request(parent: AjaxRequest, item: BatchItem) -> AjaxRequest:
    """The derivation as first written: the batch request's headers read per item."""
    route = item.path.split("?", 1)[0].strip("/")
    mount = parent.path[: len(parent.path) - len(parent.route)].rstrip("/")
    inherited = [
        (name, value)
        for name, value in parent.headers.items()
        if not _batch_own(name) and not _identity(name)
    ]
    identity = [(n, v) for n, v in parent.headers.items() if _identity(n)]
    own = [
        (n, v) for n, v in item.headers.items() if not _identity(n) and n.lower() not in _FRAMING
    ]
    body = b""
    if item.body is not None:
        body = orjson.dumps(item.body)
        own = [(n, v) for n, v in own if n.lower() != "content-type"]
        own.append(("Content-Type", "application/json"))
    # A query in the path is read as a URL's is, before the params (K1).
    in_path = parse_qsl(item.path.partition("?")[2], keep_blank_values=True)
    pairs = [*in_path, *((k, str(v)) for k, v in item.params.items() if not isinstance(v, list))]
    child = parent.derive(
        method=item.method,
        path=f"{mount}/{route}",
        route=route,
        query=MultiDict(pairs),
        headers=Headers([*_replaced(Headers([*identity, *inherited]), Headers(own)).items()]),
        body=body,
    )
    child.state[BATCH_ITEM] = True
    return child


def _replaced(inherited: Headers, own: Headers) -> dict[str, str]:
    """``inherited`` with each of ``own``'s names holding ``own``'s value instead."""
    merged = dict(inherited.items())
    merged.update(own.items())
    return merged


def _spelt(name: str) -> st.SearchStrategy[str]:
    """``name`` as a stranger may spell it: any letter in either case."""
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(lambda up: "".join(c.upper() if u else c for c, u in zip(name, up)))


_names = st.one_of(
    st.sampled_from(_IDENTITY + _FORWARDED + _OWN + _CONTENT + _FRAMING + _OTHER).flatmap(_spelt),
    st.sampled_from(("sec-fetch-other", "x-csrftoken2", "cookies", "if-range", "x-forwarded")),
    st.text(st.sampled_from("abcxXZ-_"), min_size=1, max_size=6),
)
_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=8)
_items = st.builds(
    BatchItem,
    method=st.sampled_from(["GET", "POST", "PATCH"]),
    path=st.sampled_from(["notes", "/notes/1/", "users/search?x=1"]),
    params=st.dictionaries(st.sampled_from("abc"), st.integers(0, 9), max_size=2),
    body=st.one_of(st.none(), st.just({"title": "x"}), st.just(0), st.just([])),
    headers=st.dictionaries(_names, _values, max_size=6),
)


def _headers(pairs: list[tuple[str, str]], kind: str) -> Headers:
    """The batch request's headers, as each kind of integration hands them over."""
    if kind == "plain":
        return Headers(pairs)
    reference = Headers(pairs)
    lookup = reference.get if kind == "lookup" else None
    return LazyHeaders(lambda: iter(pairs), lookup)


def _parent(headers: Headers) -> AjaxRequest:
    return AjaxRequest(
        method="POST",
        path="/api/v1/_batch",
        route="_batch",
        headers=headers,
        query=MultiDict(),
        body=b"{}",
        user="someone",
        client="10.0.0.1",
    )


def _seen(request: AjaxRequest) -> dict[str, Any]:
    """Everything of an item's request the pipeline reads, headers in order."""
    return {
        "headers": list(request.headers.items()),
        "method": request.method,
        "path": request.path,
        "route": request.route,
        "query": request.query.multi_items(),
        "body": request.body,
        "state": request.state,
        "cookies": dict(request.cookies),
        "user": request.user,
        "client": request.client,
    }


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(_names, _values), max_size=14),
    items=st.lists(_items, min_size=1, max_size=4),
    kind=st.sampled_from(["plain", "lazy", "lookup"]),
)
def test_item_requests_carry_exactly_the_headers_the_rules_give(
    pairs: list[tuple[str, str]], items: list[BatchItem], kind: str
) -> None:
    requests = _ItemRequests(_parent(_headers(pairs, kind)))  # once per batch, as served
    expected_parent = _parent(Headers(pairs))
    for item in items:
        derived = requests.derive(item)
        assert _seen(derived) == _seen(_reference_item_request(expected_parent, item))


def test_the_rules_are_the_batch_modules_own() -> None:
    # The reference above spells the header lists out; they must be the module's.
    from ajaxkit.core import batch

    assert frozenset(_IDENTITY) == batch._IDENTITY_HEADERS
    assert all(name.startswith(batch._IDENTITY_PREFIX) for name in _FORWARDED)
    assert frozenset(_OWN) == batch._OWN_HEADERS
    assert all(name.startswith(batch._CONTENT_PREFIX) for name in _CONTENT)
    assert frozenset(_FRAMING) == batch._FRAMING_HEADERS


def test_an_item_may_not_bring_identity_headers_but_keeps_its_own_others() -> None:
    browser = [("Cookie", "s=1"), ("Accept", "*/*"), ("Content-Type", "application/json")]
    item = BatchItem(
        path="notes",
        body={"t": 1},
        headers={"Authorization": "Bearer x", "Accept": "text/csv", "If-Match": '"1"'},
    )
    derived = _ItemRequests(_parent(Headers(browser))).derive(item)
    assert dict(derived.headers.items()) == {
        "cookie": "s=1",
        "accept": "text/csv",
        "if-match": '"1"',
        "content-type": "application/json",
    }


@settings(max_examples=200, deadline=None)
@given(
    base=st.lists(st.tuples(_names, _values), max_size=8),
    more=st.lists(st.tuples(_names, _values), max_size=8),
)
def test_overridden_headers_take_the_later_lists_names(
    base: list[tuple[str, str]], more: list[tuple[str, str]]
) -> None:
    shared = Headers(base)
    overridden = shared.overridden(more)
    assert list(overridden.items()) == list(_replaced(shared, Headers(more)).items())
    assert list(shared.items()) == list(Headers(base).items())  # left as it was
    assert (overridden is shared) == (not more)
