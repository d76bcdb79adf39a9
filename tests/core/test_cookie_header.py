"""The ``Cookie`` header as every integration reads it (:func:`parse_cookie_header`):
a quoted value is unquoted as the standard library unquotes it, in time
linear in the header, whatever a stranger puts in it."""

from __future__ import annotations

import re
import time
from http.cookies import CookieError, SimpleCookie

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ajaxkit.types import Cookie, parse_cookie_header
from tests.fuzz_strategies import FUZZ_SETTINGS

#: One RFC 2109 quoted string, as ``SimpleCookie`` matches a value.
_QUOTED = re.compile(r'"(?:[^\\"]|\\.)*"')


@pytest.mark.parametrize(
    ("header", "cookies"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ('a="x y, z"', {"a": "x y, z"}),
        ('a="\\101\\"b\\\\"', {"a": 'A"b\\'}),  # octal, quote and backslash escapes
        ('a="\\12"', {"a": "12"}),  # not three octal digits: each is itself
        ('a=""', {"a": ""}),
        ('a="x"y"', {"a": '"x"y"'}),  # not one quoted string: taken as sent
        ('a="x\\"', {"a": '"x\\"'}),
        ("a", {}),
        ("=1", {}),
        ("a=1; a=2", {"a": "2"}),
    ],
)
def test_values_read_as_browsers_and_the_standard_library_write_them(
    header: str, cookies: dict[str, str]
) -> None:
    assert parse_cookie_header(header) == cookies


# Python before 3.11.10 (and 3.12.6) unquotes a cookie value in time
# quadratic in its backslashes (CVE-2024-7592): one 400 kB Cookie header,
# which uvicorn's default parser accepts, held a Starlette server's event
# loop for five minutes, before any check could refuse the request.
HOSTILE = {
    "backslashes": 'ajaxkit_csrf="' + "\\\\" * 200_000 + '"',
    "quotes": 'ajaxkit_csrf="' + '\\"' * 200_000 + '"',
    "octal": 'ajaxkit_csrf="' + "\\101" * 100_000 + '"',
    "octal-then-backslashes": 'ajaxkit_csrf="\\101' + "\\\\" * 200_000 + '"',
    "unclosed": 'ajaxkit_csrf="' + "\\\\" * 200_000 + '\\""',
    "prefix": 'ajaxkit_csrf="' + "\\\\" * 200_000 + '" x"',
}


@pytest.mark.parametrize("header", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_header_is_read_in_linear_time(header: str) -> None:
    started = time.thread_time()
    parse_cookie_header(header)
    # A guard against quadratic work (minutes), not a speed target: tens of
    # milliseconds alone, but under coverage on a busy machine it has
    # taken half a second, so the bound leaves room for that.
    assert time.thread_time() - started < 5


def _standard_library(value: str) -> str:
    """What ``SimpleCookie`` reads ``value`` as (on short values, where its cost is no matter)."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(f"x={value}")
    except CookieError:  # pragma: no cover - a quoted string always loads
        return value
    return jar["x"].value


@FUZZ_SETTINGS
@given(
    inner=st.text(st.sampled_from('\\"01234567a b,='), max_size=30),
    other=st.text(max_size=20),
)
def test_a_quoted_value_reads_as_the_standard_library_reads_it(inner: str, other: str) -> None:
    value = f'"{inner}"'
    got = parse_cookie_header(f"x={value}")["x"]
    if _QUOTED.fullmatch(value):
        assert got == _standard_library(value)
    else:
        assert got == value
    # Any text at all is read, never refused.
    parse_cookie_header(other)


@pytest.mark.parametrize("samesite", ["None", "none"])
def test_samesite_none_without_secure_is_refused_naming_the_cookie_and_the_fix(
    samesite: str,
) -> None:
    # Every current browser drops it without a word (RFC 6265bis, "SameSite
    # None requires Secure"): the login or CSRF cookie just never arrived.
    with pytest.raises(ValueError, match=r"'sid'.*SameSite=None.*secure=True"):
        Cookie("sid", "1", samesite=samesite)  # type: ignore[arg-type]
    assert Cookie("sid", "1", samesite="None", secure=True).samesite == "None"
