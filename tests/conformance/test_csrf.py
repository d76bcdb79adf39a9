"""Rules X (cross-site request forgery) of docs/protocol.md: the attack suite.

Every forged request is what a browser would send for a page on another
site: it carries the victim's cookies, and the browser's own ``Origin`` and
``Sec-Fetch-Site``, which no page can change.  Each must be refused with the
JSON 403 before the handler runs; the legitimate requests must pass.

Capability ``csrf_token_always``: the platform's own check (Django's) wants
its token even when the headers prove the request same-origin, so the
passing requests carry it there too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ajaxkit.core.clock import ManualClock
from ajaxkit.testing import Response
from tests.conformance.app import TRUSTED_ORIGIN, build_api
from tests.conformance.clients.base import Client, WsRefused
from tests.conformance.clients.reference import NATIVES
from tests.conformance.test_protocol import assert_problem

EVIL = "http://evil.example"
CROSS_SITE = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}


@pytest.fixture
def victim(client: Client, needs: Callable[[str], None]) -> Client:
    """A signed-in client that already holds a CSRF cookie, as a victim's browser does."""
    needs("csrf")
    client.login("victim")
    client.enforce_csrf()
    client.csrf_token()
    return client


def refused(response: Response, check: str | None = None) -> dict[str, Any]:
    body = assert_problem(response, 403, "csrf_failed")
    if check is not None:
        assert check in body["detail"], body["detail"]
    return body


def legit(client: Client, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the platform token where its own check always wants one."""
    if "csrf_token_always" in client.capabilities:
        return {**headers, "X-CSRFToken": client.csrf_token()}
    return headers


# --- forged requests ---------------------------------------------------------


def test_X1_cross_site_form_post_with_cookies_is_refused(victim: Client) -> None:
    response = victim.post("/ajax/submit", data={"amount": "1000"}, headers=CROSS_SITE)
    refused(response, "Sec-Fetch-Site is cross-site")


def test_X1_cross_site_text_plain_simple_request_is_refused(victim: Client) -> None:
    headers = {**CROSS_SITE, "Content-Type": "text/plain"}
    refused(victim.post("/ajax/submit", content=b'{"amount": 1000}', headers=headers))


def test_X1_cross_site_multipart_simple_request_is_refused(victim: Client) -> None:
    files = {"f": ("a.txt", b"x", "text/plain")}
    refused(victim.post("/ajax/submit", data={"a": "1"}, files=files, headers=CROSS_SITE))


def test_X1_cross_site_fetch_with_a_stolen_looking_token_is_refused(victim: Client) -> None:
    # A token in the header does not make a cross-site request legitimate.
    headers = {**CROSS_SITE, "X-CSRFToken": "forged"}
    refused(victim.post("/ajax/submit", json={}, headers=headers), "cross-site")


def test_X2_untrusted_origin_without_fetch_metadata_is_refused(victim: Client) -> None:
    response = victim.post("/ajax/submit", json={}, headers={"Origin": EVIL})
    refused(response, "Origin http://evil.example")


def test_X2_origin_null_is_refused(victim: Client) -> None:
    refused(victim.post("/ajax/submit", json={}, headers={"Origin": "null"}), "Origin is null")


def test_X3_same_site_subdomain_without_trust_is_refused(victim: Client) -> None:
    headers = {"Origin": "http://sub.evil.example", "Sec-Fetch-Site": "same-site"}
    refused(victim.post("/ajax/submit", json={}, headers=headers), "same-site")


def test_X3_same_site_subdomain_with_trust_passes(victim: Client) -> None:
    headers = legit(victim, {"Origin": TRUSTED_ORIGIN, "Sec-Fetch-Site": "same-site"})
    assert victim.post("/ajax/submit", json={}, headers=headers).json() == {"submitted": True}


def test_X9_trusted_origin_passes_cross_site(victim: Client) -> None:
    headers = legit(victim, {"Origin": TRUSTED_ORIGIN, "Sec-Fetch-Site": "cross-site"})
    assert victim.post("/ajax/submit", json={}, headers=headers).status == 200


def test_X6_method_override_header_does_not_bypass(victim: Client) -> None:
    for name in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"):
        headers = {**CROSS_SITE, name: "GET"}
        refused(victim.post("/ajax/submit", data={"a": "1"}, headers=headers))


def test_X6_method_override_field_does_not_bypass(victim: Client) -> None:
    response = victim.post(
        "/ajax/submit", params={"_method": "GET"}, data={"_method": "GET"}, headers=CROSS_SITE
    )
    refused(response)


# --- the token, for clients without Origin or Fetch Metadata ----------------


def test_X5_absent_token_is_refused(victim: Client) -> None:
    refused(victim.post("/ajax/submit", json={}))


@pytest.mark.parametrize("mount", ["/ajax", "/ajax-debug"])
def test_X10_absent_token_names_the_mounted_token_path(victim: Client, mount: str) -> None:
    # The path the client can fetch, not one that 404s below the site root.
    refused(victim.post(f"{mount}/submit", json={}), f"from {mount}/_csrf in X-CSRFToken")


def test_X10_absent_cookie_names_the_mounted_token_path(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("csrf")
    client.login("victim")
    client.enforce_csrf()
    refused(client.post("/ajax/ledger/tea", json={"amount": 1}), "from /ajax/_csrf in X-CSRFToken")


def test_X5_forged_token_is_refused(victim: Client) -> None:
    refused(victim.post("/ajax/submit", json={}, headers={"X-CSRFToken": "x" * 64}))


def test_X5_token_from_another_session_is_refused(victim: Client) -> None:
    attacker = victim.sibling()
    try:
        attacker.enforce_csrf()
        stolen = attacker.csrf_token()
        refused(victim.post("/ajax/submit", json={}, headers={"X-CSRFToken": stolen}))
    finally:
        attacker.close()


def test_X5_token_fallback_passes(victim: Client) -> None:
    token = victim.csrf_token()
    response = victim.post("/ajax/submit", json={}, headers={"X-CSRFToken": token})
    assert response.json() == {"submitted": True}


def test_X5_token_endpoint_answers_json_and_sets_a_cookie(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("csrf")
    client.enforce_csrf()
    response = client.get("/ajax/_csrf")
    assert response.status == 200
    first = response.json()["token"]
    assert isinstance(first, str)
    assert response.headers["cache-control"] == "no-store"
    assert response.header_list("set-cookie")
    client.get("/ajax/_csrf")  # another tab asks too: the first tab's token still works
    assert client.post("/ajax/submit", json={}, headers={"X-CSRFToken": first}).status == 200


@pytest.fixture
def expiring(client_class: type[Client]) -> Iterator[tuple[Client, ManualClock]]:
    clock = ManualClock()
    other = client_class(apis={"/ajax": build_api(NATIVES, clock=clock)})
    try:
        yield other, clock
    finally:
        other.close()


def test_X5_expired_token_is_refused(expiring: tuple[Client, ManualClock]) -> None:
    client, clock = expiring
    if "csrf_token_always" in client.capabilities:
        pytest.skip("the platform's own tokens do not expire (Django's)")
    client.enforce_csrf()
    token = client.csrf_token()
    assert client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token}).status == 200
    clock.advance(8 * 24 * 3600)
    refused(client.post("/ajax/submit", json={}, headers={"X-CSRFToken": token}), "expired")


# --- legitimate requests -----------------------------------------------------


def test_X4_same_origin_fetch_passes(victim: Client) -> None:
    headers = legit(victim, {"Origin": victim.origin, "Sec-Fetch-Site": "same-origin"})
    assert victim.post("/ajax/submit", json={}, headers=headers).json() == {"submitted": True}


def test_X4_own_origin_without_fetch_metadata_passes(victim: Client) -> None:
    headers = legit(victim, {"Origin": victim.origin})
    assert victim.post("/ajax/submit", json={}, headers=headers).status == 200


def test_X7_exempt_endpoint_passes_cross_site(victim: Client) -> None:
    response = victim.post("/ajax/submit-exempt", json={}, headers=CROSS_SITE)
    assert response.json() == {"submitted": True}


def test_X4_safe_methods_are_not_checked(victim: Client) -> None:
    assert victim.get("/ajax/hello", headers=CROSS_SITE).status == 200


# --- WebSocket handshakes ----------------------------------------------------


def test_X8_websocket_from_an_untrusted_origin_is_refused(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    with (
        pytest.raises(WsRefused) as refusal,
        client.websocket("/ajax/ws/echo", headers={"Origin": EVIL}),
    ):
        pass  # pragma: no cover - never accepted
    assert (refusal.value.status, refusal.value.code) == (403, "csrf_failed")


def test_X8_websocket_from_its_own_origin_is_accepted(
    client: Client, needs: Callable[[str], None]
) -> None:
    needs("websocket")
    with client.websocket("/ajax/ws/echo", headers={"Origin": "http://testserver"}) as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
