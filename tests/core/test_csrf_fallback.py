"""The CSRF step's one-frame path decides as the general checks do, for any headers.

:class:`~ajaxkit.core.steps.CsrfStep` hands a request the core's policy
checks on its own to :func:`~ajaxkit.core.csrf.check_headers_then_token`,
which reads only the headers that can count and peeks at the memo of passed
tokens itself.  Headers come from strangers, so for any of them (and any
policy, scheme, clock and platform hooks) its verdict must be the general
one: :func:`~ajaxkit.core.csrf.check_origin_headers`, then
:func:`~ajaxkit.core.csrf.check_token`, then the platform's ``accept`` for
a refused token; on a first request and on a repeat that hits the memo.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import CSRFFailed
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.csrf import (
    CsrfPolicy,
    HmacSigner,
    PassedTokens,
    Signer,
    check_headers_then_token,
    check_origin_headers,
    check_token,
    csrf_signer,
    issue_token,
    sent_token,
)
from ajaxkit.core.platform import Platform
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import CsrfStep, StepCall
from ajaxkit.signing import ItsdangerousSigner
from ajaxkit.types import AjaxRequest, Headers, MultiDict

HOST = "app.example"
TRUSTED = "https://trusted.example"
DEFAULT = CsrfPolicy(token_max_age=3600)

#: Policies: the default, another token header first, another cookie, trust.
_policies = st.sampled_from(
    [
        DEFAULT,
        CsrfPolicy(token_max_age=3600, header_names=("X-Other", "X-CSRFToken")),
        CsrfPolicy(token_max_age=3600, header_names=("X-CSRFToken",), cookie_name="c"),
        CsrfPolicy(token_max_age=3600, trusted_origins=(TRUSTED,), allow_same_site=True),
        CsrfPolicy(token_max_age=3600, header_names=()),
    ]
)
_sites = st.sampled_from(
    [None, "same-origin", "same-site", "cross-site", "none", " Cross-Site", ""]
)
_origins = st.sampled_from(
    [None, f"http://{HOST}", f"https://{HOST}", TRUSTED, "http://evil.example", "null", ""]
)
_referers = st.sampled_from(
    [None, f"https://{HOST}/page", f"http://{HOST}/page", "https://evil.example/", ""]
)
#: ``Sec-Fetch-Site``, ``Origin``, ``Referer``: often none, as the token fallback
#: sees, or one alone.
_fetch_headers = st.one_of(
    st.just((None, None, None)),
    st.tuples(st.none(), st.none(), _referers),
    st.tuples(_sites, st.none(), st.none()),
    st.tuples(_sites, _origins, _referers),
)
# The token headers: the first the policies name, padded, or any of their
# names with any value, empty or repeated.
_token_headers = st.one_of(
    st.just([("X-CSRFToken", " {t} ")]),
    st.lists(
        st.tuples(
            st.sampled_from(["X-CSRFToken", "X-CSRF-Token", "X-Other"]),
            st.sampled_from(["{t}", " {t} ", "", "  ", "forged", "{t}x"]),
        ),
        max_size=3,
    ),
)
_cookies = st.sampled_from(
    [None, "", "c={t}", "a=1; ajaxkit_csrf={t}", "ajaxkit_csrf=x", "ajaxkit_csrf={t}; c={t}"]
)
#: Which token the request carries: the first one issued, a fresh one, one signed elsewhere.
_which = st.sampled_from(["first", "fresh", "other key"])
#: Clock moves around the policies' token_max_age, so a remembered pass expires too.
_moves = st.sampled_from([0.0, 1.0, -5.0, 1800.0, 3599.0, 3600.0, 3601.0])

#: A request is the one before it with a change or two: the memo is hit by
#: repeats, and by requests that differ from a remembered one in one thing.
_changes = st.one_of(
    st.tuples(st.just("policy"), _policies),
    st.tuples(st.just("signer"), st.sampled_from(["ours", "rotated", "settings"])),
    st.tuples(st.just("scheme"), st.sampled_from(["http", "https"])),
    st.tuples(st.just("fetch"), _fetch_headers),
    st.tuples(st.just("tokens"), _token_headers),
    st.tuples(st.just("cookie"), _cookies),
    st.tuples(st.just("which"), _which),
)
#: A script's request with the token: the token fallback's common case.
FIRST: dict[str, Any] = {
    "policy": DEFAULT,
    "signer": "ours",
    "scheme": "http",
    "fetch": (None, None, None),
    "tokens": [("X-CSRFToken", "{t}")],
    "cookie": "ajaxkit_csrf={t}",
    "which": "first",
}


def verdict(check: Callable[[], object]) -> str | None:
    try:
        check()
    except CSRFFailed as exc:
        return exc.detail
    except IndexError:
        # A policy naming no token header cannot say which one to send.
        return "IndexError"
    return None


def reference(
    request: AjaxRequest,
    policy: CsrfPolicy,
    signer: Signer,
    clock: ManualClock,
    platform: Platform,
) -> str | None:
    """The general path, from the public checks, as a detail (``None``: passed)."""

    def trusted() -> tuple[str, ...]:
        return policy.trusted_origins + platform.trusted_origins()

    def check() -> None:
        if check_origin_headers(request, policy, trusted):
            return
        try:
            check_token(request, policy, signer, clock)
        except CSRFFailed:
            sent, accept = sent_token(request, policy), platform.accept_csrf_token
            if accept is None or sent is None or not accept(request, sent):
                raise

    return verdict(check)


def scope_headers_of(items: list[tuple[str, str]]) -> Headers:
    from ajaxkit.starlette.asgi import scope_headers

    return scope_headers([(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items])


@pytest.mark.parametrize("kind", ["plain", pytest.param("asgi", marks=pytest.mark.starlette)])
@settings(max_examples=300, deadline=None)
@given(
    signer_kind=st.sampled_from(["hmac", "itsdangerous"]),
    accepts=st.sampled_from([None, "forged", "any"]),
    platform_trusts=st.booleans(),
    steps=st.lists(st.tuples(st.lists(_changes, max_size=2), _moves), min_size=1, max_size=10),
)
def test_the_one_frame_path_decides_as_the_general_checks(
    kind: str,
    signer_kind: str,
    accepts: str | None,
    platform_trusts: bool,
    steps: list[tuple[list[tuple[str, Any]], float]],
) -> None:
    make = HmacSigner if signer_kind == "hmac" else ItsdangerousSigner
    signers: dict[str, Signer | None] = {
        "ours": make("k"),
        "rotated": make("rotated"),
        "settings": None,  # Settings.secret_key's, through csrf_signer
    }
    accept = None if accepts is None else (lambda r, t: accepts == "any" or t == accepts)
    platform = Platform(
        name="t",
        accept_csrf_token=accept,
        trusted_origins=(lambda: ("http://evil.example",)) if platform_trusts else tuple,
    )
    clock = ManualClock()
    memo = PassedTokens(size=3)  # small, so eviction happens too
    first: str | None = None
    state = dict(FIRST)
    for changes, move in steps:
        state.update(changes)
        policy = dataclasses.replace(state["policy"], signer=signers[state["signer"]])
        config = Settings(csrf=policy, clock=clock, secret_key="k")
        signer = csrf_signer(config)
        issuer = make("other") if state["which"] == "other key" else signer
        token, _ = issue_token(policy, issuer, clock)
        first = first or token
        if state["which"] == "first":
            token = first
        site, origin, referer = state["fetch"]
        named = {"Sec-Fetch-Site": site, "Origin": origin, "Referer": referer}
        items = [("Host", HOST)]
        items += [(name, value) for name, value in named.items() if value is not None]
        items += [(name, value.format(t=token)) for name, value in state["tokens"]]
        if state["cookie"] is not None:
            items.append(("Cookie", state["cookie"].format(t=token)))

        def request() -> AjaxRequest:
            headers = Headers(items) if kind == "plain" else scope_headers_of(items)
            scheme = state["scheme"]
            return AjaxRequest(
                method="POST",
                path="/x",
                route="x",
                headers=headers,
                query=MultiDict(),
                scheme=scheme,
            )

        clock.advance(move)
        expected = reference(request(), policy, signer, clock, platform)
        # Twice: a first check, then (for a pass) one that hits the memo.
        for _ in range(2):
            sent_site = request().headers.get("sec-fetch-site")
            fast = verdict(
                lambda: check_headers_then_token(request(), sent_site, config, platform, memo)
            )
            assert fast == expected
            call = StepCall(request(), config, platform)
            assert verdict(lambda: CsrfStep().admit(call, "check")) == expected
