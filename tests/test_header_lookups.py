"""Reading one header by name answers what the whole header mapping would.

Every integration gives :class:`~ajaxkit.types.LazyHeaders` a lookup that
reads one header straight from the framework's own structure (the ASGI raw
pairs, Django's ``META``, the WSGI environ), so that the core's reads of
``Content-Length`` and ``Content-Type`` never decode every header.  Headers
come from strangers: for any headers, the lookup must agree with the
mapping, including repeated, empty and oddly spelt ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.types import DeferredHeaders, Headers, LazyHeaders

#: Names the core and handlers ask for, plus look-alikes.
ASKED = ("content-length", "content-type", "x-a", "x_a", "X-A", "cookie", "host", "nope", "é")

_NAME_CHARS = st.sampled_from("abcxXAZ-_")
_names = st.one_of(
    st.sampled_from(["content-length", "content-type", "Content-Type", "x-a", "X-A", "x_a"]),
    st.text(_NAME_CHARS, min_size=1, max_size=6),
)
_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=8)


def _unbuilt(headers: DeferredHeaders) -> bool:
    return not headers.built


def test_reading_the_whole_mapping_builds_it_once() -> None:
    """The lookups' tests above hold only if ``built`` tells: it does."""
    from ajaxkit.starlette.asgi import scope_headers

    made: list[DeferredHeaders] = [
        LazyHeaders(lambda: [("X-A", "1"), ("x-a", "2")]),
        scope_headers([(b"x-a", b"1"), (b"x-a", b"2")]),
    ]
    for headers in made:
        assert _unbuilt(headers)
        assert dict(headers) == {"x-a": "1, 2"}
        assert not _unbuilt(headers)
        assert len(headers) == 1 and list(headers) == ["x-a"]


def test_deferred_headers_look_up_methods_as_plain_objects_do() -> None:
    """No ``__getattr__`` on the headers an integration makes: with one,
    CPython 3.11 does not specialise ``headers.get(...)`` and builds a bound
    method on every call (~800 instructions a header read)."""
    from ajaxkit.starlette.asgi import ScopeHeaders

    for kind in (Headers, LazyHeaders, ScopeHeaders):
        assert all("__getattr__" not in vars(cls) for cls in kind.__mro__), kind


def _agree(headers: Headers, reference: Headers, asked: list[str]) -> None:
    names = [*ASKED, *asked]
    # One, then many at once, then single lookups (which may index the pairs).
    assert headers.get(names[-1]) == reference.get(names[-1])
    assert headers.get_many(names) == [reference.get(name) for name in names]
    for name in names:
        assert headers.get(name) == reference.get(name), name
        assert (name in headers) == (name in reference), name
        if name in reference:
            assert headers[name] == reference[name]
        else:
            with pytest.raises(KeyError):
                headers[name]
    assert headers.get_many(names[::-1]) == [reference.get(name) for name in names[::-1]]


_lower_names = st.one_of(
    st.sampled_from(["content-length", "content-type", "sec-fetch-site", "x-a", "x_a"]),
    st.text(st.sampled_from("abcx-_"), min_size=1, max_size=6),
)


@pytest.mark.starlette
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_lower_names, _values), max_size=8), st.booleans())
def test_asgi_lookup_agrees_with_the_decoded_headers(
    pairs: list[tuple[str, str]], scan_first: bool
) -> None:
    """Lower-case names, as ASGI servers must send them: the first lookup
    scans the raw pairs (or not), later ones answer from a dict of them when
    no name repeats, by scanning when one does."""
    from ajaxkit.starlette.asgi import scope_headers

    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    headers = scope_headers(raw, scan_first=scan_first)
    _agree(headers, Headers(pairs), [k for k, _ in pairs])
    assert _unbuilt(headers)


def _starlette(raw: list[tuple[bytes, bytes]], name: str) -> str | None:
    """What Starlette's own ``Headers`` holds for ``name``, repeats joined."""
    from starlette.datastructures import Headers as StarletteHeaders

    try:
        values = StarletteHeaders(raw=raw).getlist(name)
    except UnicodeEncodeError:  # no raw name can be spelt so
        return None
    return ", ".join(values) if values else None


_raw_names = st.one_of(
    st.sampled_from([b"sec-fetch-site", b"Sec-Fetch-Site", b"origin", b"\xc9", b"\xe9", b"1"]),
    st.binary(min_size=1, max_size=4),
)


@pytest.mark.starlette
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_raw_names, st.binary(max_size=4)), max_size=8),
    st.lists(st.sampled_from(["sec-fetch-site", "origin", "é", "É", "1", "a"]), max_size=4),
    st.booleans(),
)
def test_asgi_lookup_agrees_with_starlette_for_any_bytes(
    raw: list[tuple[bytes, bytes]], asked: list[str], scan_first: bool
) -> None:
    """Any names a server might pass (non-ASCII, digits only, repeated, and
    upper case, which ASGI forbids) answer lookup after lookup as Starlette's
    own ``Headers`` over the same pairs, repeats joined: a name ASGI requires
    in lower case is matched as sent, as a Starlette view reads it."""
    from ajaxkit.starlette.asgi import scope_headers

    names = [*asked, *(k.decode("latin-1") for k, _ in raw), *asked]
    fresh = scope_headers(raw, scan_first=scan_first)
    assert fresh.get_many(names) == [_starlette(raw, name) for name in names]
    headers = scope_headers(raw, scan_first=scan_first)
    for name in names:
        assert headers.get(name) == _starlette(raw, name), name
    assert headers.get_many(names) == [_starlette(raw, name) for name in names]


@pytest.mark.starlette
def test_asgi_names_are_matched_as_asgi_servers_send_them() -> None:
    """ASGI requires lower-case names: one sent otherwise (by a server that
    breaks the rule) is not found by name, as in a Starlette view, nor by
    iterating, so that the headers stay one consistent mapping."""
    from starlette.datastructures import Headers as StarletteHeaders

    from ajaxkit.starlette.asgi import scope_headers

    raw = [(b"Content-Type", b"text/plain"), (b"x-a", b"1")]
    headers = scope_headers(raw)
    assert headers.get("content-type") is None
    assert StarletteHeaders(raw=raw).get("content-type") is None
    assert headers.get_many(["Content-Type", "X-A"]) == [None, "1"]
    assert dict(headers) == {"x-a": "1"}


def _environ(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """A WSGI environ (or Django META) for ``pairs``, as a server builds it."""
    environ: dict[str, str] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    for name, value in pairs:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            # Servers join repeated headers; some send HTTP_CONTENT_TYPE too.
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


_environ_pairs = st.lists(
    st.tuples(st.one_of(_names, st.just("content_type")), _values), max_size=8
)


@pytest.mark.django
@settings(max_examples=150, deadline=None)
@given(_environ_pairs)
def test_django_meta_lookup_agrees_with_the_mapping(pairs: list[tuple[str, str]]) -> None:
    from ajaxkit.django.adapter import _meta_header, _meta_headers

    meta: dict[str, Any] = _environ(pairs)
    headers = LazyHeaders(lambda: _meta_headers(meta), lambda name: _meta_header(meta, name))
    _agree(headers, Headers(_meta_headers(meta)), [k for k, _ in pairs])
    assert _unbuilt(headers)


@pytest.mark.flask
@settings(max_examples=150, deadline=None)
@given(_environ_pairs)
def test_wsgi_environ_lookup_agrees_with_werkzeug_headers(pairs: list[tuple[str, str]]) -> None:
    from werkzeug.datastructures import EnvironHeaders

    from ajaxkit.flask.adapter import _environ_header

    environ = _environ(pairs)
    items = EnvironHeaders(environ).items
    headers = LazyHeaders(items, lambda name: _environ_header(environ, name))
    _agree(headers, Headers(items()), [k for k, _ in pairs])
    assert _unbuilt(headers)


def test_without_a_lookup_the_mapping_is_built_once() -> None:
    calls: list[int] = []

    def factory() -> list[tuple[str, str]]:
        calls.append(1)
        return [("Content-Length", "3"), ("X-A", "1"), ("x-a", "2")]

    headers = LazyHeaders(factory)
    assert headers.get("content-length") == "3"
    assert headers.get("missing", "default") == "default"
    assert headers["x-a"] == "1, 2"
    assert headers.get_many(["X-A", "nope", "CONTENT-LENGTH"]) == ["1, 2", None, "3"]
    assert calls == [1]


def test_plain_headers_answer_many_as_one_by_one() -> None:
    headers = Headers([("Cookie", "a=1"), ("X-A", "1"), ("x-a", "2")])
    assert headers.get_many(["cookie", "X-a", "nope"]) == ["a=1", "1, 2", None]
    assert headers.overridden([("X-B", "3")]).get_many(["x-b", "x-a"]) == ["3", "1, 2"]
    assert headers.overridden([("x-A", "3")]).get_many(["x-a", "cookie"]) == ["3", "a=1"]


@pytest.mark.starlette
def test_asgi_names_asked_for_are_remembered_boundedly() -> None:
    """Raw names are cached by the name asked for, never past their bound,
    and a name asked for after the bound still answers."""
    from ajaxkit.starlette import asgi

    headers = asgi.scope_headers([(b"x-late", b"1")])
    for n in range(asgi._RAW_NAMES_BOUND + 10):
        assert headers.get(f"X-Unsent-{n}") is None
    assert len(asgi._RAW_NAMES) <= asgi._RAW_NAMES_BOUND
    assert headers.get("X-Late") == "1"
    assert headers.get_many(["X-LATE", "é-unsent", "İ"]) == ["1", None, None]
