"""The CSRF policy's pure parts: header checks, origin matching, token signing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, CSRFFailed
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.csrf import (
    CsrfPolicy,
    HmacSigner,
    check_origin_headers,
    check_token,
    issue_token,
    origin_matches,
    page_token,
)
from ajaxkit.signing import ItsdangerousSigner
from ajaxkit.testing import Client
from ajaxkit.types import AjaxRequest, Headers, MultiDict

POLICY = CsrfPolicy()
SIGNER = HmacSigner("test")


def request(scheme: str = "http", **headers: str) -> AjaxRequest:
    items = {"Host": "app.example", **{k.replace("_", "-"): v for k, v in headers.items()}}
    return AjaxRequest(
        method="POST",
        path="/ajax/x",
        route="x",
        headers=Headers(items.items()),
        query=MultiDict(),
        scheme=scheme,
    )


def test_wildcard_trusts_subdomains_only_on_its_scheme() -> None:
    trusted = ["https://*.example.com"]
    assert origin_matches("https://a.example.com", trusted)
    assert origin_matches("https://a.b.example.com", trusted)
    assert not origin_matches("https://example.com.evil", trusted)
    assert not origin_matches("http://a.example.com", trusted)
    assert not origin_matches("https://evilexample.com", trusted)


def test_allow_same_site_lets_sibling_subdomains_through() -> None:
    policy = CsrfPolicy(allow_same_site=True)
    assert check_origin_headers(request(sec_fetch_site="same-site"), policy, tuple)
    with pytest.raises(CSRFFailed):
        check_origin_headers(request(sec_fetch_site="same-site"), POLICY, tuple)


def test_fetch_site_none_falls_back_to_origin() -> None:
    with pytest.raises(CSRFFailed, match="Origin"):
        check_origin_headers(request(sec_fetch_site="none", origin="http://evil"), POLICY, tuple)


def test_referer_is_checked_over_https_without_origin() -> None:
    good = request("https", referer="https://app.example/page")
    assert check_origin_headers(good, POLICY, tuple)
    with pytest.raises(CSRFFailed, match="Referer"):
        check_origin_headers(request("https", referer="https://evil.example/"), POLICY, tuple)
    with pytest.raises(CSRFFailed, match="Referer"):
        # A downgrade: an http page may be an attacker on the network.
        check_origin_headers(request("https", referer="http://app.example/"), POLICY, tuple)
    assert not check_origin_headers(request("http", referer="http://evil/"), POLICY, tuple)


def test_no_headers_leave_it_to_the_token() -> None:
    assert check_origin_headers(request(), POLICY, tuple) is False


@pytest.mark.parametrize("signer", [HmacSigner("k"), ItsdangerousSigner("k")])
def test_signers_refuse_tampering(signer: HmacSigner | ItsdangerousSigner) -> None:
    signed = signer.sign("abc.1")
    assert signer.unsign(signed) == "abc.1"
    assert signer.unsign(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert signer.unsign("abc.1") is None
    assert type(signer)("other").unsign(signed) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_sent_token_is_refused_or_matches(sent: str) -> None:
    clock = ManualClock()
    token, cookie = issue_token(POLICY, SIGNER, clock)
    headers = {"X-CSRFToken": sent, "Cookie": f"{cookie.name}={token}"}
    req = AjaxRequest(
        method="POST",
        path="/",
        route="",
        headers=Headers(headers.items()),
        query=MultiDict(),
    )
    if sent.strip() == token:
        check_token(req, POLICY, SIGNER, clock)
    else:
        with pytest.raises(CSRFFailed):
            check_token(req, POLICY, SIGNER, clock)


def test_token_cookie_is_httponly_lax() -> None:
    _, cookie = issue_token(CsrfPolicy(cookie_secure=True), SIGNER, ManualClock())
    assert (cookie.httponly, cookie.samesite, cookie.secure) == (True, "Lax", True)


def test_reference_client_without_fetch_metadata_needs_the_token() -> None:
    api = Ajax()
    api.add("do", lambda: {"ok": True}, methods=["POST"])
    client = Client(api, same_origin=False)
    assert client.post("/ajax/do").json()["code"] == "csrf_failed"
    token = client.get("/ajax/_csrf").json()["token"]
    assert client.post("/ajax/do", headers={"X-CSRF-Token": token}).json() == {"ok": True}


def test_page_token_is_reused_until_half_its_life() -> None:
    clock = ManualClock()
    token, cookie = page_token({}, POLICY, SIGNER, clock)
    assert cookie is not None
    cookies = {POLICY.cookie_name: token}
    assert page_token(cookies, POLICY, SIGNER, clock) == (token, None)
    clock.advance(POLICY.token_max_age / 2 + 1)
    renewed, cookie = page_token(cookies, POLICY, SIGNER, clock)
    assert renewed != token
    assert cookie is not None
    assert page_token({POLICY.cookie_name: "forged"}, POLICY, SIGNER, clock)[1] is not None


def test_a_policy_naming_no_token_header_refuses_a_headerless_request_with_a_403() -> None:
    # header_names=() leaves the headers alone to decide; a request without
    # them was a 500 (an IndexError naming the first token header).
    api = Ajax(csrf=CsrfPolicy(header_names=()))
    api.endpoint("save", methods=["POST"])(lambda: {"saved": True})
    client = Client(api, same_origin=False)
    response = client.post("/ajax/save", json={})
    assert response.status == 403
    assert response.json()["code"] == "csrf_failed"
    assert "names no token header" in response.json()["detail"]
    own = client.post("/ajax/save", json={}, headers={"Origin": f"http://{client.host}"})
    assert own.json() == {"saved": True}
