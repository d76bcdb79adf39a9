"""Rules N1-N3 read on the JSON text give the answers a walk over the parsed value gave.

The limits once walked the parsed value, a Python step per value; they now
read the text (see ajaxkit.core.jsontext).  The walk is kept here as the
oracle: for any body the two must refuse the same requests with the same
status, code and detail.  The bodies are written by hand, not by a JSON
encoder, so they carry what a stranger's may: repeated keys (whose first
value is in the text but not in the parsed value), escapes of every kind,
brackets and quotes inside strings, whitespace, characters beyond the BMP.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.core.body import parse_body
from ajaxkit.core.jsontext import nests_deeper, string_longer
from ajaxkit.core.limits import check_input_limits
from ajaxkit.core.settings import Settings
from ajaxkit.exceptions import ClientError
from ajaxkit.types import AjaxRequest, Headers, MultiDict

# --- the oracle: the limits as they walked the parsed value ----------------------


def oracle(request: AjaxRequest, settings: Settings) -> None:
    data = request.data
    if data is None and not request.query:
        return
    _oracle_count(data, settings.max_params)
    limit = settings.max_json_depth
    if isinstance(data, (dict, list)):
        stack: list[tuple[Any, int]] = [(data, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > limit:
                raise ClientError(
                    f"The JSON body nests deeper than {limit} levels (max_json_depth)."
                )
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    longest = settings.max_string_length
    if any(len(v) > longest for _, v in request.query.multi_items()) or _oracle_long(data, longest):
        raise ClientError(
            f"The request holds a string longer than {longest} characters (max_string_length)."
        )


def _oracle_count(data: Any, limit: int) -> None:
    if isinstance(data, MultiDict):
        count = len(data.multi_items())
    elif isinstance(data, dict):
        count = len(data)
    else:
        return
    if count > limit:
        raise ClientError(f"The body has {count} parameters; at most {limit} (max_params).")


def _oracle_long(data: Any, limit: int) -> bool:
    if isinstance(data, MultiDict):
        return any(len(v) > limit for _, v in data.multi_items())
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if len(node) > limit:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


# --- JSON text as a stranger writes it -------------------------------------------

#: Characters that JSON escapes, brackets and quotes, and some beyond one byte.
CHARACTERS = st.sampled_from(list('ab[]{}"\\/,:\n\t\x01é€😀 '))
ESCAPES = st.sampled_from(["\\n", '\\"', "\\\\", "\\/", "\\u0041", "\\u005b", "\\ud83d\\ude00"])
SPACE = st.sampled_from(["", " ", "\n\t "])


@st.composite
def json_strings(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(CHARACTERS.map(_escape_one), ESCAPES), max_size=12))
    return '"' + "".join(pieces) + '"'


def _escape_one(char: str) -> str:
    return orjson.dumps(char).decode()[1:-1] if char in '"\\\n\t\x01' else char


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


@st.composite
def _object(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    keys: list[str] = draw(st.lists(json_strings(), max_size=4))
    repeat: bool = draw(st.booleans())
    if keys and repeat:
        keys.append(keys[0])  # a repeated key: its first value is not parsed
    space = draw(SPACE)
    members = [f"{space}{key}{space}:{draw(values)}" for key in keys]
    return "{" + ",".join(members) + space + "}"


SCALARS = st.one_of(json_strings(), st.sampled_from(["0", "-1.5e3", "true", "null"]))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4).map(_array), _object(inner)),
    max_leaves=30,
)


def request_for(
    body: bytes,
    query: str = "",
    content_type: str = "application/json",
    max_parts: int | None = None,
) -> Any:
    request = AjaxRequest(
        method="POST",
        path="/",
        route="",
        headers=Headers([("Content-Type", content_type)]),
        query=MultiDict(parse_qsl(query, keep_blank_values=True)),
        body=body,
    )
    try:
        parse_body(request, body, len(body) + 1, max_parts=max_parts)
    except ClientError as exc:
        request.state["refused"] = exc
    return request


def answer(check: Any, request: AjaxRequest, limits: Settings) -> str | None:
    try:
        if "refused" in request.state:
            raise request.state["refused"]
        check(request, limits)
    except ClientError as exc:
        return f"{exc.status} {exc.code} {exc.detail}"
    return None


LIMITS = st.builds(
    Settings,
    max_params=st.integers(0, 5),
    max_json_depth=st.integers(1, 6),
    max_string_length=st.integers(0, 8),
)


QUERIES = st.sampled_from(["", "q=1", "q=xxxxxxxxx&r="])


@settings(max_examples=150, deadline=None)
@given(DOCUMENTS, QUERIES, LIMITS)
def test_N1_N2_N3_text_reading_answers_as_the_walk(
    document: str, query: str, limits: Settings
) -> None:
    request = request_for(document.encode(), query)
    assert answer(check_input_limits, request, limits) == answer(oracle, request, limits)


FORM = "application/x-www-form-urlencoded"
FORM_PIECES = st.sampled_from(["&", "&&", "a", "a=", "=b", "a=b", "%26", "\xe9", "=", ";"])


@settings(max_examples=100, deadline=None)
@given(st.lists(FORM_PIECES, max_size=12), QUERIES, LIMITS)
def test_N2_N3_form_bodies_answer_as_the_walk(
    pieces: list[str], query: str, limits: Settings
) -> None:
    # The fields are counted before they are parsed (parse_body's
    # max_parts), with the answer the parsed fields gave.
    body = "".join(pieces).encode()
    parsed = request_for(body, query, FORM)
    expected = answer(oracle, parsed, limits)
    request = request_for(body, query, FORM, max_parts=limits.max_params)
    assert answer(check_input_limits, request, limits) == expected


def test_N2_form_fields_over_the_limit_are_counted_not_parsed() -> None:
    body = b"a&" * 100_000
    request = request_for(b"", "", FORM)
    with pytest.raises(ClientError) as refused:
        parse_body(request, body, len(body), max_parts=1000)
    assert refused.value.detail == "The body has 100000 parameters; at most 1000 (max_params)."
    assert request.data is None  # refused before a field was made


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": [[[[]]]], "a": 1}',  # too deep, and too long, only before the repeat
        b'{"a": "xxxxxxxxxxxxxxxxxxxx", "a": 1}',
        rb'["\\\"[[[[[[", "\u005b"]',  # brackets in strings, escapes counted as one
    ],
)
def test_N1_N3_what_the_parsed_value_lost_is_not_refused(body: bytes) -> None:
    limits = Settings(max_json_depth=2, max_string_length=8)
    assert answer(check_input_limits, request_for(body), limits) is None


@pytest.mark.parametrize("depth", [254, 255, 300])
def test_N1_nesting_past_the_encoder_is_measured(depth: int) -> None:
    # orjson encodes 254 levels at most; a deeper value is read by a walk.
    body = b'{"a": ' + b"[" * depth + b'"xxxxxxxxxx"' + b"]" * depth + b"}"
    for limit in (253, depth, 1000):
        limits = Settings(max_json_depth=limit, max_string_length=4)
        request = request_for(body)
        assert answer(check_input_limits, request, limits) == answer(oracle, request, limits)


@settings(max_examples=80, deadline=None)
@given(DOCUMENTS, st.integers(1, 8), st.integers(0, 8))
def test_the_text_readers_answer_as_the_walk(document: str, depth: int, length: int) -> None:
    text = document.encode()
    value = orjson.loads(text)
    canonical = orjson.dumps(value)
    walked = answer(oracle, request_for(canonical), Settings(max_json_depth=depth))
    assert nests_deeper(canonical, depth) == (walked is not None and "nests" in walked)
    assert string_longer(canonical, length) == _oracle_long(value, length)
    # On the text as sent, never an answer the parsed value would not give.
    if not nests_deeper(text, depth):
        assert not nests_deeper(canonical, depth)
    if not string_longer(text, length):
        assert not _oracle_long(value, length)
