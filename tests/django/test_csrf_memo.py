"""Django's token check, remembered: ajaxkit's checker answers as Django's own middleware.

ajaxkit remembers the (cookie, token) pairs Django's token check passed, so
that a client sending the same pair again is not unmasked again.  Whatever
a stranger sends, in any order, the answer must be Django's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory
from django.test.utils import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.django.platform import _checker, _Refused

pytestmark = pytest.mark.django

SECRETS = ["a" * 32, "b" * 32, "AbCdEfGhIjKlMnOpQrStUvWxYz012345"]


def _view(request: HttpRequest) -> HttpResponse:
    raise AssertionError("never called")


def _django_refuses(request: HttpRequest) -> bool:
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    return middleware.process_view(request, _view, (), {}) is not None


def _ajaxkit_refuses(request: HttpRequest) -> bool:
    try:
        _checker(()).process_view(request, _view, (), {})
    except _Refused:
        return True
    return False


def _request(method: str, content_type: str, cookie: str | None, token: str | None) -> Any:
    body = b"csrfmiddlewaretoken=" + (token or "").encode()
    request = RequestFactory().generic(method, "/ajax/x", body, content_type)
    if token is not None:
        request.META["HTTP_X_CSRFTOKEN"] = token
    if cookie is not None:
        request.COOKIES["csrftoken"] = cookie
    return request


def _masked_token(secret: str) -> str:
    """Django's masked form of ``secret``, as a page gets it (``get_token``)."""
    request = HttpRequest()
    request.META["CSRF_COOKIE"] = secret
    return get_token(request)


def _tampered(token: str, at: int, char: str) -> str:
    at %= len(token) + 1
    return token[:at] + char + token[at + 1 :]


_masked = st.sampled_from(SECRETS).map(_masked_token)
# Any character a request can carry: a lone surrogate is none (no bytes
# decode to one), and the form body could not even be encoded.
_character = st.characters(codec="utf-8")
_token = st.one_of(
    st.none(),
    st.sampled_from(SECRETS),
    st.sampled_from(SECRETS).map(_masked_token),
    st.tuples(st.sampled_from(SECRETS).map(_masked_token), st.integers(0, 70), _character).map(
        lambda args: _tampered(*args)
    ),
    st.text(max_size=70),
)
_case = st.tuples(
    st.sampled_from(["POST", "PUT", "DELETE"]),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
    st.one_of(st.none(), st.sampled_from(SECRETS), st.sampled_from(SECRETS).map(_masked_token)),
    _token,
)


@settings(max_examples=200, deadline=None)
@given(cases=st.lists(_case, min_size=1, max_size=8))
def test_the_checker_answers_as_django_does(
    cases: list[tuple[str, str, str | None, str | None]],
) -> None:
    with override_settings(CSRF_USE_SESSIONS=False):
        # Each case twice and then every case again: first answers, then remembered ones.
        for case in [*cases, *cases, *cases]:
            ours = _ajaxkit_refuses(_request(*case))
            assert ours == _django_refuses(_request(*case)), case


def test_a_pair_that_passed_is_checked_again_once_the_header_name_changes() -> None:
    masked = _masked_token(SECRETS[0])
    assert not _ajaxkit_refuses(_request("POST", "application/json", SECRETS[0], masked))
    with override_settings(CSRF_HEADER_NAME="HTTP_X_OTHER"):
        assert _ajaxkit_refuses(_request("POST", "application/json", SECRETS[0], masked))
