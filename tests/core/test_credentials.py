"""Rule Y2's credentials: what a request carries that a user may be loaded from.

Where the user is loaded only when read (Django, Flask-Login), the session
cookie stands for the user in deciding ``Cache-Control: no-store``.  The
``Cookie`` header comes from strangers and is searched, not parsed, so it
must never miss a cookie a parser would see.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.core.auth import carries_credentials, holds_cookie
from ajaxkit.core.platform import REFERENCE
from ajaxkit.types import AjaxRequest, Headers, MultiDict, parse_cookie_header

SESSION = "sessionid"
PLATFORM = dataclasses.replace(REFERENCE, credential_cookies=lambda: (SESSION, "remember"))


def _request(headers: dict[str, str]) -> AjaxRequest:
    return AjaxRequest(
        method="GET", path="/ajax/x", route="x", headers=Headers(headers.items()), query=MultiDict()
    )


@pytest.mark.parametrize(
    "header",
    [
        "sessionid=abc",
        "theme=dark; sessionid=abc",
        "theme=dark;sessionid=abc; lang=en",
        "  sessionid = abc ",
        'sessionid="abc"',
        "sessionid=; sessionid=abc",
    ],
)
def test_Y2_a_session_cookie_is_found(header: str) -> None:
    assert holds_cookie(header, SESSION)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "theme=dark",
        "xsessionid=abc",
        "sessionidx=abc",
        "sessionid",
        "sessionid=",
        'sessionid=""',
        "sessionid= ; theme=dark",
        "theme=sessionid=abc",
    ],
)
def test_Y2_a_cookie_that_is_no_session_is_not_taken_for_one(header: str) -> None:
    assert not holds_cookie(header, SESSION)


_cookie_text = st.text(st.sampled_from('sesionid =;"\t,x'), max_size=40)


@settings(max_examples=300, deadline=None)
@given(header=st.one_of(_cookie_text, st.text(max_size=40)))
def test_Y2_a_session_cookie_a_parser_sees_is_never_missed(header: str) -> None:
    if parse_cookie_header(header).get(SESSION):
        assert holds_cookie(header, SESSION)


@pytest.mark.parametrize(
    ("headers", "carries"),
    [
        ({}, False),
        ({"Cookie": "theme=dark"}, False),
        ({"Cookie": "theme=dark; remember=1"}, True),
        ({"Cookie": "sessionid=abc"}, True),
        ({"Authorization": "Bearer x"}, True),
        ({"Authorization": ""}, True),
    ],
)
def test_Y2_credentials_are_a_session_cookie_or_authorization(
    headers: dict[str, str], carries: bool
) -> None:
    assert carries_credentials(_request(headers), PLATFORM) is carries


def test_Y2_a_platform_naming_no_cookie_asks_only_for_authorization() -> None:
    assert not carries_credentials(_request({"Cookie": "sessionid=abc"}), REFERENCE)
