"""The memo of passed token checks: it answers as checking afresh would, and never for time."""

from __future__ import annotations

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
    check_sent_pair,
    check_sent_token,
    issue_token,
)
from ajaxkit.signing import ItsdangerousSigner
from ajaxkit.types import AjaxRequest, Headers, MultiDict

POLICY = CsrfPolicy(token_max_age=3600)
RENAMED = CsrfPolicy(token_max_age=3600, cookie_name="other_csrf")


def cookie_request(cookie_header: str | None) -> AjaxRequest:
    headers = Headers([] if cookie_header is None else [("Cookie", cookie_header)])
    return AjaxRequest(method="POST", path="/", route="", headers=headers, query=MultiDict())


def verdict_afresh(
    sent: str | None, header: str | None, policy: CsrfPolicy, signer: Signer, clock: ManualClock
) -> str | None:
    try:
        check_sent_token(cookie_request(header), sent, policy, signer, clock)
    except CSRFFailed as exc:
        return exc.detail
    return None


def verdict_remembered(
    sent: str | None,
    header: str | None,
    policy: CsrfPolicy,
    signer: Signer,
    clock: ManualClock,
    memo: PassedTokens,
) -> str | None:
    try:
        check_sent_pair(
            cookie_request(header), sent, header, policy, signer, clock=clock, passed=memo
        )
    except CSRFFailed as exc:
        return exc.detail
    return None


# How the Cookie header carries a token: alone, among others, quoted, under
# another name, twice (the last wins), or not at all.
_cookie_forms = st.sampled_from(
    [
        "{n}={t}",
        "a=1; {n}={t}; b=2",
        '{n}="{t}"',
        "x{n}={t}",
        "{n}=x; {n}={t}",
        "{n}={t}; {n}=x",
        "",
    ]
)
# What is sent: one of the tokens issued (by this signer or another), a
# changed one, or any text.
_sent_forms = st.sampled_from(["ours", "older", "other key", "tampered", "text", "none"])


@settings(max_examples=300, deadline=None)
@given(
    signer_kind=st.sampled_from(["hmac", "itsdangerous"]),
    steps=st.lists(
        st.tuples(
            _sent_forms,
            _cookie_forms,
            st.sampled_from([POLICY, RENAMED]),
            st.booleans(),
            st.text(max_size=20),
            st.floats(-10.0, 4000.0),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_memo_agrees_with_checking_afresh(
    signer_kind: str, steps: list[tuple[str, str, CsrfPolicy, bool, str, float]]
) -> None:
    make = HmacSigner if signer_kind == "hmac" else ItsdangerousSigner
    ours, rotated = make("k"), make("rotated")
    memo = PassedTokens(size=3)  # small, so eviction happens too
    clock = ManualClock()
    issued = [issue_token(POLICY, ours, clock)[0]]
    for sent_form, cookie_form, policy, rotate, text, move in steps:
        token, _ = issue_token(POLICY, rotated if sent_form == "other key" else ours, clock)
        issued.append(token)
        sent: str | None = {
            "ours": token,
            "older": issued[0],
            "other key": token,
            "tampered": token[:-1] + ("A" if token[-1] != "A" else "B"),
            "text": text,
            "none": None,
        }[sent_form]
        header = cookie_form.format(n=POLICY.cookie_name, t=sent or text) or None
        signer = rotated if rotate else ours
        clock.advance(move)
        # Twice: a miss then (for a pass) a hit, each as a fresh check says.
        for _ in range(2):
            expected = verdict_afresh(sent, header, policy, signer, clock)
            assert verdict_remembered(sent, header, policy, signer, clock, memo) == expected


def test_a_remembered_pair_expires_and_failures_are_not_remembered() -> None:
    memo, signer, clock = PassedTokens(size=2), HmacSigner("k"), ManualClock()
    token, _ = issue_token(POLICY, signer, clock)
    header = f"{POLICY.cookie_name}={token}"
    forged = token[:-2] + "xx"
    assert verdict_remembered(forged, f"{POLICY.cookie_name}={forged}", POLICY, signer, clock, memo)
    assert len(memo) == 0
    assert verdict_remembered(token, header, POLICY, signer, clock, memo) is None
    assert len(memo) == 1
    clock.advance(POLICY.token_max_age + 1)
    with pytest.raises(CSRFFailed, match="expired"):
        check_sent_pair(
            cookie_request(header), token, header, POLICY, signer, clock=clock, passed=memo
        )


def test_the_memo_is_bounded() -> None:
    memo, signer, clock = PassedTokens(size=3), HmacSigner("k"), ManualClock()
    for _ in range(5):
        token, _ = issue_token(POLICY, signer, clock)
        header = f"{POLICY.cookie_name}={token}"
        assert verdict_remembered(token, header, POLICY, signer, clock, memo) is None
    assert len(memo) == 3
