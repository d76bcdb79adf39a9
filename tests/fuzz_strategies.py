"""Hypothesis strategies for requests from strangers, shared by the fuzz suites.

Every strategy yields what a real HTTP/1.1 server could hand an application:
paths are percent-encoded (so CR/LF and NUL arrive decoded, as servers
decode them), header values are Latin-1 text without line breaks (a server
never delivers one with a newline), and a body is plain bytes.  Within those
bounds the values are as hostile as we know how: invalid UTF-8, Unicode
digits, numbers beyond 64 bits, deep nesting, control characters, oversized
values and parameter counts.

Use them with a bounded ``max_examples``; :data:`FUZZ_SETTINGS` is the
budget the conformance fuzz suite uses per framework (30 examples per test,
derandomized; set ``AJAXKIT_FUZZ_EXAMPLES`` for a longer random hunt).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "BODY_METHODS",
    "EDGE_NUMBERS",
    "FUZZ_EXAMPLES",
    "FUZZ_SETTINGS",
    "KNOWN_NAMES",
    "METHODS",
    "FuzzRequest",
    "bodies",
    "declared_lengths",
    "header_values",
    "hostile_numbers",
    "hostile_text",
    "json_documents",
    "multipart_bodies",
    "path_segments",
    "query_pairs",
    "requests",
]

#: Examples per test and client: small enough that every framework fits in
#: seconds.  ``AJAXKIT_FUZZ_EXAMPLES=500`` runs a longer, randomized hunt.
FUZZ_EXAMPLES = int(os.environ.get("AJAXKIT_FUZZ_EXAMPLES", "30"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    # The everyday run is the same every time; a longer hunt explores.
    derandomize="AJAXKIT_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BODY_METHODS = ("POST", "PUT", "PATCH")
METHODS = ("GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "FOO", *BODY_METHODS)

# Characters that break naive parsers: controls, NUL, separators, quotes,
# percent signs, Unicode digits ("²", "٣", "五"), a BOM, and RTL marks.
_NASTY = "\x00\r\n\t\x0b\x7f%&=;,/\\\"'<>{}[]+ ²³¹٣۳߃५五\ufeff\u202e\u00a0\u2028"

#: Text mixing ordinary characters with :data:`_NASTY` ones (never surrogates).
hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(_NASTY), st.characters(codec="utf-8")),
    max_size=40,
)

#: Number-like strings that broke parsers: beyond 64 bits, Unicode digits,
#: thousands of digits, floats, signs, spaces, underscores.
EDGE_NUMBERS = (
    "18446744073709551616",
    "-9223372036854775809",
    "9223372036854775807",
    "99999999999999999999",
    "9" * 5000,
    "0" * 300 + "1",
    "\u00b2",
    "\u0661\u0662",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "1_000",
    " 1",
    "0x10",
    "+1",
    "-0",
    "1.5",
    "",
)

#: Mostly :data:`EDGE_NUMBERS`; sometimes any integer up to 70 bits.
hostile_numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def path_segments() -> st.SearchStrategy[str]:
    """One path segment, percent-encoded: its decoded form may hold anything."""
    return st.one_of(hostile_text, hostile_numbers, st.just("a" * 5000)).map(
        lambda text: quote(text, safe="")
    )


#: Names every conformance endpoint binds, so fuzzed values reach the binder.
KNOWN_NAMES = ("q", "limit", "title", "count", "ids", "tags", "name", "n", "run", "status", "x")


def query_pairs(names: tuple[str, ...] = KNOWN_NAMES) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Query parameters: known names with hostile values, odd names, or very many."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(names), hostile_text)
    few = st.lists(st.tuples(name, st.one_of(hostile_text, hostile_numbers)), max_size=6)
    # 20,000 characters: past what most servers take in a request line,
    # within what the test clients send (httpx stops at 65,536).
    oversized = st.tuples(name, st.just("x" * 20_000)).map(lambda pair: [pair])
    many = st.integers(min_value=1001, max_value=3000).map(
        lambda n: [(f"p{i}", str(i)) for i in range(n)]
    )
    return st.one_of(few, few, few, oversized, many)


def json_documents() -> st.SearchStrategy[bytes]:
    """JSON text: valid documents with hostile leaves, deep nesting, huge numbers."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text,
    )
    documents = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
        ),
        max_leaves=12,
    ).map(orjson.dumps)
    raw = st.sampled_from(
        [
            b'{"count": 18446744073709551616, "title": "t"}',
            b'{"count": 1e400}',
            b'{"priority": 99999999999999999999999, "title": "t"}',
            b'{"title": "\\ud800"}',
            b'{"title": "\\u0000"}',
            b'{"ids": [1, 2, 18446744073709551616]}',
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 2000 + b"1" + b"}" * 2000,
            b'{"title": "' + b"x" * 200_000 + b'", "count": 1}',
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
        ]
    )
    return st.one_of(documents, raw)


def multipart_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    """Multipart bodies with odd charsets, broken boundaries and hostile fields."""
    charset = st.sampled_from(
        ["utf-8", "unicode_escape", "utf-16", "rot13", "hex", "nope", "latin-1", "idna"]
    )
    value = st.one_of(
        st.binary(max_size=30),
        st.sampled_from([b"\\ud800", b"caf\\xe9", b"\xff\xfe\x00", b"\x00", b"9" * 30]),
    )
    # Content-Disposition parameters: plain, a file, and RFC 2231 forms
    # that decode (through the charset they name) to lone surrogates.
    disposition = st.one_of(
        st.sampled_from(KNOWN_NAMES).map(lambda name: f'name="{name}"'),
        st.sampled_from(KNOWN_NAMES).map(lambda name: f'name="{name}"; filename="f.txt"'),
        st.sampled_from(
            [
                "name*=unicode_escape''%5Cud800",
                "name=\"file\"; filename*=unicode_escape''%5Cud800",
                "name=\"file\"; filename*=utf-8''%ED%A0%80",
                "name*=nope''x",
                # More parameters than a part header may carry (rule U9).
                'name="name"' + "; p=v" * 17,
                'name="name"; filename*0*=a; filename*1*=b; filename="x\\"y"',
            ]
        ),
    )
    part = st.tuples(disposition, charset, value)

    def build(parts: list[tuple[str, str, bytes]], boundary: str) -> tuple[bytes, str]:
        chunks = [
            f"--{boundary}\r\nContent-Disposition: form-data; {params}\r\n"
            f"Content-Type: text/plain; charset={cs}\r\n\r\n".encode()
            + value
            + b"\r\n"
            for params, cs, value in parts
        ]
        body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"

    boundaries = st.sampled_from(["b", "x" * 70, '"q"', "a b"])
    well_formed = st.builds(build, st.lists(part, max_size=4), boundaries)
    broken = st.tuples(
        st.binary(max_size=200),
        st.sampled_from(
            ["multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=b"]
        ),
    )
    return st.one_of(well_formed, broken)


def bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    """A body and its Content-Type: JSON, forms, multipart, random bytes, odd types."""
    json_types = st.sampled_from(["application/json", "application/problem+json", "text/json"])
    form = st.binary(max_size=300).map(lambda b: b + b"&a=%ff%00&count=%C2%B2")
    odd_type = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    return st.one_of(
        st.tuples(json_documents(), json_types),
        st.tuples(form, st.just("application/x-www-form-urlencoded")),
        multipart_bodies(),
        st.tuples(st.binary(max_size=300), st.one_of(odd_type, st.just(""))),
    )


#: A header value a server could deliver: Latin-1, no line breaks, no NUL.
header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=60,
)


def _latin1(text: str) -> bool:
    return all(ord(char) < 256 for char in text)


#: ``Content-Length`` values; send them with an empty body (see the suite).
declared_lengths = st.one_of(hostile_numbers.filter(_latin1), header_values)


@dataclass(frozen=True)
class FuzzRequest:
    """One request to make: where, how, with what."""

    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None

    def __repr__(self) -> str:
        # Short: a failing example may hold 20,000-character values.
        params = [(k[:30], v[:30]) for k, v in self.params[:5]]
        body = None if self.content is None else self.content[:60]
        return (
            f"FuzzRequest({self.method} {self.path[:80]!r}, {len(self.params)} params "
            f"{params}, headers={self.headers}, body={body!r})"
        )


@st.composite
def requests(draw: st.DrawFn, paths: st.SearchStrategy[str]) -> FuzzRequest:
    """A hostile request to one of ``paths`` (already percent-encoded)."""
    method = draw(st.sampled_from(METHODS))
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Accept", "Cookie", "X-CSRFToken", "If-None-Match", "X-Custom"]),
            header_values,
            max_size=3,
        )
    )
    content = None
    if method in BODY_METHODS:
        content, content_type = draw(bodies())
        if content_type:
            headers["Content-Type"] = content_type
    return FuzzRequest(method, draw(paths), draw(query_pairs()), headers, content)
