"""The ASGI header pairs of a response are its headers encoded, whatever was remembered.

:func:`ajaxkit.starlette.asgi.raw_headers` remembers the pairs it encoded
(responses repeat a few); every answer must be what encoding afresh gives,
the first time and every time after, a handler's own ``Content-Length``
included, and the memory stays bounded.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.types import AjaxResponse, Cookie

pytestmark = pytest.mark.starlette

_names = st.one_of(
    st.sampled_from(["Content-Type", "content-length", "Content-Length", "RateLimit", "ETag"]),
    st.text(st.sampled_from("abcXYZ-"), min_size=1, max_size=6),
)
_values = st.one_of(
    st.sampled_from(["application/json", "12", '"100/second";r=99;t=1']),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=300),
)


def _fresh(response: AjaxResponse, head: bool) -> list[tuple[bytes, bytes]]:
    """What raw_headers answered before it remembered anything: every pair encoded."""
    raw = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in response.headers.multi_items()
    ]
    sized = (
        not head
        and response.stream is None
        and response.status not in (204, 304)
        and all(name != b"content-length" for name, _ in raw)
    )
    raw += [(b"set-cookie", c.header_value().encode("latin-1")) for c in response.cookies]
    if sized:
        raw.append((b"content-length", b"%d" % len(response.body)))
    return raw


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_names, _values), max_size=6),
    st.sampled_from([200, 204, 304, 404]),
    st.booleans(),
    st.binary(max_size=20),
)
def test_raw_headers_are_the_headers_encoded_every_time(
    pairs: list[tuple[str, str]], status: int, head: bool, body: bytes
) -> None:
    from ajaxkit.starlette.asgi import raw_headers

    for _ in range(3):  # first encoded, then (partly) remembered
        response = AjaxResponse(status, body, list(pairs), cookies=[Cookie("a", "b")])
        assert raw_headers(response, head) == _fresh(response, head)


def test_a_handlers_content_length_is_kept_after_the_pair_was_seen() -> None:
    from ajaxkit.starlette.asgi import raw_headers

    for _ in range(2):
        response = AjaxResponse(200, b"abc", [("Content-Length", "3")])
        assert raw_headers(response, False) == [(b"content-length", b"3")]


def test_remembered_pairs_stay_bounded() -> None:
    from ajaxkit.starlette import asgi

    for n in range(asgi._ENCODED_PAIRS_BOUND + 50):
        asgi.raw_headers(AjaxResponse(200, b"", [("ETag", f'"{n}"')]), False)
        assert len(asgi._ENCODED_PAIRS) <= asgi._ENCODED_PAIRS_BOUND
    long_value = "x" * (asgi._ENCODED_VALUE_LIMIT + 1)
    asgi.raw_headers(AjaxResponse(200, b"", [("X-Long", long_value)]), False)
    assert ("X-Long", long_value) not in asgi._ENCODED_PAIRS


def test_headers_extended_with_list_pairs_are_encoded_as_tuples_are() -> None:
    """``extend`` takes any two-item pairs (a handler may pass lists, as the
    constructor takes them); they must encode on Starlette as on every other
    framework, not fail as an unhashable key of the encoded-pair memory."""
    from ajaxkit.starlette.asgi import raw_headers

    response = AjaxResponse(200, b"", {"Content-Type": "application/json"})
    response.headers.extend([["X-A", "1"]])  # type: ignore[list-item]
    assert raw_headers(response, False)[:2] == [
        (b"content-type", b"application/json"),
        (b"x-a", b"1"),
    ]
    assert response.headers.multi_items()[1] == ("X-A", "1")
