"""The wide-integer check against the standard library's exact reading, on generated text."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.core.jsonvalues import check_json_text
from ajaxkit.exceptions import ValidationFailed

# Integers around every bound orjson reads exactly, digits in strings and
# keys (which the byte scan sees too), and spaces that move every value
# past the bytes the scan samples.
_bounds = [-(2**63), 2**64 - 1]
_integers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(_bounds).flatmap(lambda b: st.integers(b - 3, b + 3)),
    st.integers(min_value=-(10**30), max_value=10**30),
)
_leaves = st.one_of(
    _integers,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet='"\\ab0123456789\u00e9', max_size=30),
    st.booleans(),
    st.none(),
)
_nodes = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(alphabet="ab019", max_size=22), inner, max_size=4),
    ),
    max_leaves=15,
)


def _text(node: Any, space: str) -> str:
    if isinstance(node, dict):
        members = (f"{json.dumps(k)}:{space}{_text(v, space)}" for k, v in node.items())
        return "{" + f",{space}".join(members) + "}"
    if isinstance(node, list):
        return "[" + f",{space}".join(_text(item, space) for item in node) + "]"
    return json.dumps(node)


def _wide(node: Any) -> bool:
    """Whether ``node`` holds an integer orjson reads as a float."""
    if isinstance(node, dict):
        return any(map(_wide, node.values()))
    if isinstance(node, list):
        return any(map(_wide, node))
    return type(node) is int and not -(2**63) <= node <= 2**64 - 1


@settings(max_examples=400, deadline=None, derandomize=True)
@given(node=_nodes, space=st.text(alphabet=" \n", max_size=3))
def test_a_text_is_refused_exactly_when_it_holds_a_wide_integer(node: Any, space: str) -> None:
    raw = _text(node, space).encode()
    # The standard library reads integers exactly: the oracle.
    assert json.loads(raw) == node
    if _wide(node):
        with pytest.raises(ValidationFailed):
            check_json_text(raw, orjson.loads(raw))
    else:
        check_json_text(raw, orjson.loads(raw))


@pytest.mark.parametrize("start", range(20))
def test_a_wide_integer_at_any_offset_is_found(start: int) -> None:
    # Each place the 20 bytes can fall against the bytes sampled first.
    raw = b"[" + b" " * start + b"-9223372036854775809]"
    with pytest.raises(ValidationFailed):
        check_json_text(raw, orjson.loads(raw))


@pytest.mark.parametrize(
    "raw", [b"9223372036854775807", b"[18446744073709551615]", b'"12345678901234567890123"']
)
def test_the_widest_exact_integers_and_digit_strings_pass(raw: bytes) -> None:
    check_json_text(raw, orjson.loads(raw))
