"""The memo of verified CSRF tokens: it answers as checking afresh would, and never for time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import CSRFFailed
from ajaxkit.core.clock import ManualClock
from ajaxkit.core.csrf import (
    CsrfPolicy,
    HmacSigner,
    Signer,
    VerifiedTokens,
    _age,
    check_token,
    issue_token,
)
from ajaxkit.signing import ItsdangerousSigner
from ajaxkit.types import AjaxRequest, Headers, MultiDict

POLICY = CsrfPolicy(token_max_age=3600)
SIGNERS: list[Signer] = [HmacSigner("k"), ItsdangerousSigner("k")]


def token_request(token: str, cookie: str) -> AjaxRequest:
    headers = {"X-CSRFToken": token, "Cookie": f"{POLICY.cookie_name}={cookie}"}
    return AjaxRequest(
        method="POST", path="/", route="", headers=Headers(headers.items()), query=MultiDict()
    )


def _tampered(token: str, at: int, char: str) -> str:
    at %= len(token) + 1
    return token[:at] + char + token[at + 1 :]


# A token from a stranger: one of ours as issued, one of ours with a character
# changed or cut off, one signed with another key, or any text at all.
_how = st.sampled_from(["ours", "tampered", "truncated", "other key", "text"])


@settings(max_examples=300, deadline=None)
@given(
    signer_index=st.integers(0, len(SIGNERS) - 1),
    steps=st.lists(
        st.tuples(
            _how,
            st.integers(0, 200),
            st.characters(codec="ascii"),
            st.text(max_size=60),
            st.floats(-10.0, 10_000.0),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_memo_agrees_with_checking_afresh(
    signer_index: int, steps: list[tuple[str, int, str, str, float]]
) -> None:
    signer = SIGNERS[signer_index]
    other = type(signer)("another key")  # type: ignore[call-arg]
    memo = VerifiedTokens(size=4)  # small, so eviction happens too
    clock = ManualClock()
    issued: list[str] = []
    for how, at, char, text, move in steps:
        token, _ = issue_token(POLICY, other if how == "other key" else signer, clock)
        issued.append(token)
        if how == "tampered":
            token = _tampered(token, at, char)
        elif how == "truncated":
            token = token[: at % len(token)]
        elif how == "text":
            token = text
        clock.advance(move)
        # Each token (and every one seen before) twice: a miss, then a hit.
        for seen in [token, token, *issued]:
            assert _age(seen, signer, clock, memo) == _age(seen, signer, clock, None)


@pytest.mark.parametrize("signer", SIGNERS)
def test_an_expired_token_is_refused_though_remembered(signer: Signer) -> None:
    clock = ManualClock()
    token, _ = issue_token(POLICY, signer, clock)
    check_token(token_request(token, token), POLICY, signer, clock)  # remembered now
    clock.advance(POLICY.token_max_age + 1)
    with pytest.raises(CSRFFailed, match="expired"):
        check_token(token_request(token, token), POLICY, signer, clock)


@pytest.mark.parametrize("signer", SIGNERS)
def test_a_remembered_token_must_still_equal_the_cookie(signer: Signer) -> None:
    clock = ManualClock()
    token, _ = issue_token(POLICY, signer, clock)
    other, _ = issue_token(POLICY, signer, clock)
    check_token(token_request(token, token), POLICY, signer, clock)
    with pytest.raises(CSRFFailed, match="does not match"):
        check_token(token_request(token, other), POLICY, signer, clock)


def test_a_token_is_never_taken_on_another_signers_word() -> None:
    memo = VerifiedTokens()
    clock = ManualClock()
    ours, theirs = HmacSigner("ours"), HmacSigner("theirs")
    token, _ = issue_token(POLICY, theirs, clock)
    assert memo.unsign(token, theirs) is not None
    assert memo.unsign(token, ours) is None


def test_forgeries_are_not_remembered_and_the_memo_is_bounded() -> None:
    memo = VerifiedTokens(size=3)
    signer = HmacSigner("k")
    clock = ManualClock()
    assert memo.unsign("forged.1.sig", signer) is None
    assert len(memo) == 0
    tokens = [issue_token(POLICY, signer, clock)[0] for _ in range(5)]
    for token in tokens:
        assert memo.unsign(token, signer) is not None
    assert len(memo) == 3


@pytest.mark.parametrize("signer", SIGNERS)
def test_a_signature_with_non_ascii_characters_is_simply_bad(signer: Signer) -> None:
    # Headers are read as latin-1, so a stranger can send any of its characters.
    signed = signer.sign("abc.1")
    assert signer.unsign(signed[:-1] + "é") is None
    assert signer.unsign("abc.1.é") is None
