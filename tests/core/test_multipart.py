"""``multipart/form-data`` bodies: what browsers send reads back exactly, and
whatever a stranger sends costs time linear in its size."""

from __future__ import annotations

import contextlib
import encodings
import re
import sys
import time
from types import FrameType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ajaxkit.core.multipart import MAX_PARAMETERS, _unquoted, parse_multipart
from ajaxkit.exceptions import ClientError, MalformedBody
from tests.fuzz_strategies import FUZZ_SETTINGS

CONTENT_TYPE = "multipart/form-data; boundary=b"


def parts(*each: bytes) -> bytes:
    """A body of ``each`` part (headers, blank line, content), closed."""
    return b"".join(b"--b\r\n" + part + b"\r\n" for part in each) + b"--b--\r\n"


def fields(raw: bytes, content_type: str = CONTENT_TYPE) -> list[tuple[str, str]]:
    return parse_multipart(content_type, raw)[0].multi_items()


def upload(raw: bytes) -> tuple[str, bytes, str]:
    (files,) = parse_multipart(CONTENT_TYPE, raw)[1].values()
    return files[0].filename, files[0].data, files[0].content_type


def test_fields_and_files_as_a_browser_sends_them() -> None:
    raw = parts(
        b'Content-Disposition: form-data; name="title"\r\n\r\nz\xc3\xb6e',
        b'Content-Disposition: form-data; name="f"; filename="r\xc3\xa9sum\xc3\xa9.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n\x00\xff",
    )
    assert fields(raw) == [("title", "zöe")]
    assert upload(raw) == ("résumé.pdf", b"\x00\xff", "application/pdf")


def test_an_rfc_2231_filename_wins_over_the_plain_one() -> None:
    raw = parts(
        b"Content-Disposition: form-data; name=f; filename=plain.txt; "
        b"filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n\r\nX"
    )
    assert upload(raw) == ("résumé.txt", b"X", "text/plain")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b'name="a\\"b"', 'a"b'),  # a quoted-string escape
        (b'name="a;b"', "a;b"),  # a separator inside quotes
        (b"NAME=a", "a"),  # parameter names ignore case
        (b'name="a"; name="b"', "a"),  # the first of a repeated name
        (b'name="a', "a"),  # an unterminated quote runs to the end
    ],
)
def test_parameter_values(header: bytes, name: str) -> None:
    raw = parts(b"Content-Disposition: form-data; " + header + b"\r\n\r\nX")
    assert fields(raw) == [(name, "X")]


def test_charsets_and_transfer_encodings() -> None:
    raw = parts(
        b"Content-Disposition: form-data; name=a\r\n"
        b"Content-Type: text/plain; charset=latin-1\r\n\r\ncaf\xe9",
        b"Content-Disposition: form-data; name=b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=",
        b"Content-Disposition: form-data; name=c\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nh=C3=A9",
    )
    assert fields(raw) == [("a", "café"), ("b", "hi"), ("c", "hé")]


@pytest.mark.parametrize(
    ("charset", "sent", "text"),
    [
        ("ISO-8859-1", b"caf\xe9", "café"),
        ("Windows-1252", b"\x80", "€"),
        ("Shift_JIS", b"\x82\xa0", "あ"),
        ("utf-16", "é".encode("utf-16"), "é"),
        (" UTF-8 ", b"\xc3\xa9", "é"),
        ("UTF--8", b"\xc3\xa9", "é"),  # every spelling Python accepts
    ],
)
def test_a_field_charset_by_any_spelling_python_knows(charset: str, sent: bytes, text: str) -> None:
    raw = parts(
        b"Content-Disposition: form-data; name=a\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n" + sent
    )
    assert fields(raw) == [("a", text)]


@pytest.mark.parametrize("charset", ["no-such-charset", "zlib", "aliases", "x" * 100])
def test_a_field_charset_that_is_no_text_encoding_is_malformed(charset: str) -> None:
    raw = parts(
        b"Content-Disposition: form-data; name=a\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\nx"
    )
    with pytest.raises(MalformedBody, match="not valid text"):
        parse_multipart(CONTENT_TYPE, raw)


def test_an_unknown_filename_charset_reads_as_ascii() -> None:
    raw = parts(b"Content-Disposition: form-data; name=f; filename*=nope''a%E9b\r\n\r\nx")
    assert upload(raw)[0] == "a\ufffdb"


@pytest.mark.parametrize("charset", ["punycode", "PunyCode", "idna", "IDNA"])
@pytest.mark.parametrize("where", ["field", "filename"])
def test_a_charset_decoded_in_quadratic_time_is_refused_before_decoding(
    charset: str, where: str
) -> None:
    # 300 kB of "9" took 19 s to decode as punycode: refused unread.
    nines = b"9" * 300_000
    if where == "field":
        raw = parts(
            b"Content-Disposition: form-data; name=a\r\n"
            b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n-" + nines
        )
    else:
        raw = parts(
            b"Content-Disposition: form-data; name=a; filename*="
            + charset.encode()
            + b"''-"
            + nines
            + b"\r\n\r\nx"
        )
    started = time.thread_time()
    with pytest.raises(MalformedBody, match="charset"):
        parse_multipart(CONTENT_TYPE, raw)
    assert time.thread_time() - started < 0.5


def _fresh_charset_parts(tag: str) -> list[bytes]:
    """Parts naming 100 charsets no one has named before, in a field and a filename."""
    names = [f"{tag}-{i}-".encode() + b"x" * 30 for i in range(100)]
    return [
        *[
            b"Content-Disposition: form-data; name=a\r\n"
            b"Content-Type: text/plain; charset=" + name + b"\r\n\r\nx"
            for name in names
        ],
        *[
            b"Content-Disposition: form-data; name=f; filename*=" + name + b"''x\r\n\r\nx"
            for name in names
        ],
    ]


def test_a_strangers_charset_names_are_never_remembered() -> None:
    # Python's encodings package keeps every name it failed to find for the
    # life of the process: looked up there, the fresh names of a stranger's
    # parts (a thousand a request) grew the process without bound.
    cache: dict[str, Any] = encodings._cache
    before = len(cache)
    for part in _fresh_charset_parts("fresh"):
        with contextlib.suppress(MalformedBody):
            parse_multipart(CONTENT_TYPE, parts(part))
    assert len(cache) == before


@FUZZ_SETTINGS
@given(charset=st.text(max_size=50))
def test_any_charset_is_read_or_refused_as_malformed_and_never_remembered(charset: str) -> None:
    cache: dict[str, Any] = encodings._cache
    before = set(cache)
    value = charset.replace("\\", "").replace('"', "").encode("utf-8", "surrogatepass")
    raw = parts(
        b'Content-Disposition: form-data; name=a\r\nContent-Type: text/plain; charset="'
        + value
        + b'"\r\n\r\nx',
        b'Content-Disposition: form-data; name=f; filename*="' + value + b"''x\"\r\n\r\nx",
    )
    with contextlib.suppress(MalformedBody):
        parse_multipart(CONTENT_TYPE, raw)
    # Only the standard library's own codec names may be added.
    assert set(cache) - before <= _stdlib_codec_names()


def _stdlib_codec_names() -> set[str]:
    import encodings.aliases
    import pkgutil

    return {m.name for m in pkgutil.iter_modules(encodings.__path__)} | set(
        encodings.aliases.aliases.values()
    )


def test_line_ends_folding_preamble_epilogue_and_lookalike_boundaries() -> None:
    raw = (
        b"preamble\r\n--b  \n"
        b"Content-Disposition: form-data;\r\n name=a\n\nX\r\n--bb\r\n--b-\r\n"
        b"--b--\r\nepilogue"
    )
    assert fields(raw) == [("a", "X\r\n--bb\r\n--b-")]
    assert fields(b"--b--") == []


@pytest.mark.parametrize(
    "raw",
    [
        b"no delimiter at all",
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nX',  # never closed
        parts(b"Content-Type: text/plain\r\n\r\nX"),  # no name
        parts(b"\r\nX"),  # no headers
        parts(b"Content-Disposition: form-data; name*=unicode_escape''%5Cud800\r\n\r\nX"),
        parts(b"Content-Disposition: form-data; name=a\r\n\r\n\xff"),  # not UTF-8
        parts(
            b"Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: base64\r\n\r\na"
        ),
    ],
)
def test_malformed_bodies_are_400(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse_multipart(CONTENT_TYPE, raw)


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_no_boundary_is_400(content_type: str) -> None:
    with pytest.raises(MalformedBody, match="no boundary"):
        parse_multipart(content_type, b"--b--")


@FUZZ_SETTINGS
@given(st.text(alphabet='ab\\"; =\n\u00e9', max_size=40))
def test_a_quoted_value_is_unescaped_as_a_substitution_would(text: str) -> None:
    # The oracle is the substitution the parser used before (a Python call
    # per escape): a backslash takes the next character as it is.
    assert _unquoted(f'"{text}"') == re.sub(r"\\(.)", r"\1", text)


def test_a_header_may_carry_at_most_max_parameters() -> None:
    names = "".join(f"; p{i}=v" for i in range(MAX_PARAMETERS - 1))
    raw = parts(f"Content-Disposition: form-data; name=a{names}\r\n\r\nX".encode())
    assert fields(raw) == [("a", "X")]
    with pytest.raises(MalformedBody, match=f"more than {MAX_PARAMETERS} parameters"):
        parse_multipart(CONTENT_TYPE, raw.replace(b"\r\n\r\nX", b"; one=more\r\n\r\nX"))


def test_parts_over_max_parts_are_refused_before_they_are_read() -> None:
    raw = parts(*[b"Content-Disposition: form-data; name=a\r\n\r\nX"] * 3)
    assert len(fields(raw)) == 3
    with pytest.raises(ClientError, match="max_params"):
        parse_multipart(CONTENT_TYPE, raw, max_parts=2)


# --- properties ------------------------------------------------------------------

# What a browser may put in a field name or filename: anything but the three
# characters it percent-encodes there (", CR, LF) and the quoted-string escape.
_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters='"\r\n\\'), min_size=1, max_size=20
)
_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
_boundaries = st.text(alphabet="abcXYZ019'()+_,-./:=?", min_size=1, max_size=70)


def _browser_body(
    boundary: str, sent_fields: list[tuple[str, str]], sent_files: list[tuple[str, str, bytes]]
) -> bytes:
    head = f"--{boundary}\r\nContent-Disposition: form-data; "
    chunks = [f'{head}name="{n}"\r\n\r\n{v}\r\n'.encode() for n, v in sent_fields]
    file_type = "Content-Type: application/octet-stream"
    chunks += [
        f'{head}name="{n}"; filename="{f}"\r\n{file_type}\r\n\r\n'.encode() + data + b"\r\n"
        for n, f, data in sent_files
    ]
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


@FUZZ_SETTINGS
@given(
    boundary=_boundaries,
    sent_fields=st.lists(st.tuples(_names, _values), max_size=5),
    sent_files=st.lists(st.tuples(_names, _names, st.binary(max_size=60)), max_size=3),
)
def test_what_a_browser_sends_reads_back_exactly(
    boundary: str,
    sent_fields: list[tuple[str, str]],
    sent_files: list[tuple[str, str, bytes]],
) -> None:
    raw = _browser_body(boundary, sent_fields, sent_files)
    # A browser picks a boundary that occurs nowhere in what it sends.
    content = [v for _, v in sent_fields] + [d.decode("latin-1") for *_, d in sent_files]
    if any(f"--{boundary}" in text for text in content):
        return
    data, files = parse_multipart(f'multipart/form-data; boundary="{boundary}"', raw)
    by_name: dict[str, list[str]] = {}
    for name, value in sent_fields:
        by_name.setdefault(name, []).append(value)
    assert {name: data.getlist(name) for name in data} == by_name
    got = [(n, u.filename, u.data) for n, uploads in files.items() for u in uploads]
    assert sorted(got) == sorted((n, f.strip(), d) for n, f, d in sent_files)


@FUZZ_SETTINGS
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from([CONTENT_TYPE, 'multipart/form-data; boundary="\\";']),
)
def test_any_bytes_are_read_or_refused_as_malformed(raw: bytes, content_type: str) -> None:
    with contextlib.suppress(MalformedBody):
        parse_multipart(content_type, b"--b\r\n" + raw)


# --- cost ------------------------------------------------------------------------


def _hostile_bodies() -> dict[str, bytes]:
    head = b'--b\r\nContent-Disposition: form-data; name="a"'
    return {
        "parts": parts(*[b"Content-Disposition: form-data; name=a\r\n\r\n1"] * 20_000),
        "semicolons": head + b";" * 1_000_000 + b"\r\n\r\nx\r\n--b--",
        "quotes": head + b'; x="' + b'\\"' * 500_000 + b'"\r\n\r\nx\r\n--b--',
        "spaces": head + b"\r\nContent-Type:" + b" " * 1_000_000 + b"x\r\n\r\nx\r\n--b--",
        "header lines": head + b"\r\n" + b"X: a\r\n" * 170_000 + b"\r\nx\r\n--b--",
        "lookalikes": head + b"\r\n\r\n" + b"\n--bb" * 200_000 + b"\r\n--b--",
        "padding": head + b"\r\n\r\n" + (b"\n--b" + b" " * 100) * 9_000 + b"\r\n--b--",
    }


@pytest.mark.parametrize("name", _hostile_bodies().keys())
def test_a_hostile_megabyte_is_read_or_refused_in_linear_time(name: str) -> None:
    raw = _hostile_bodies()[name]
    assert len(raw) <= 1_100_000
    # This thread's CPU time, not the clock's nor the process's: another
    # process on the same core, or a server thread a fixture left running in
    # this worker, must not count as parsing.  A guard against super-linear
    # work (a regex backtracking, a rescan: minutes on a megabyte), not a
    # speed target: the worst shape takes a tenth of a second on a quiet
    # machine, but has taken 1.2 s under coverage on a slow one.
    started = time.thread_time()
    with contextlib.suppress(MalformedBody):
        parse_multipart(CONTENT_TYPE, raw)
    assert time.thread_time() - started < 5.0


def _python_calls(work: Any) -> int:
    """How many functions (Python or C) ``work()`` called: counted, so load never moves it."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        with contextlib.suppress(MalformedBody):
            work()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("name", ["semicolons", "quotes", "spaces", "header lines"])
def test_a_hostile_header_costs_no_call_per_repetition(name: str) -> None:
    # One part whose header repeats a character a million times: C's work
    # (a regex, a split), never a Python call per repeat (the escapes of a
    # quoted value were unescaped by a template call each: 0.4 s a MB).
    raw = _hostile_bodies()[name]
    assert _python_calls(lambda: parse_multipart(CONTENT_TYPE, raw)) < 1_000
