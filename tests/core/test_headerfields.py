"""A header a handler answers with is sent only when every framework can carry it (rule H4).

The value is often written from the request, so it is a stranger's text:
whatever it holds, it is either sent as it is, a single Latin-1 line, or
refused before any framework writes it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.core.headerfields import checked_headers, field_value
from ajaxkit.exceptions import ServerError

#: What a header line may hold besides visible ASCII: tabs, spaces, obs-text.
_SENDABLE = st.characters(codec="latin-1", exclude_categories=["Cc"]) | st.sampled_from("\t ")
_TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(max_examples=300, deadline=None)
@given(value=st.text())
def test_a_value_is_sent_as_one_latin1_line_or_refused(value: str) -> None:
    try:
        sent = field_value("X-Echo", value, "e")
    except ServerError as refused:
        assert "Endpoint e" in str(refused)
        return
    assert sent == value
    assert not any(ch in sent for ch in "\r\n\x00")
    assert all(ch == "\t" or ord(ch) >= 0x20 for ch in sent)
    assert "\x7f" not in sent
    sent.encode("latin-1")


@settings(max_examples=200, deadline=None)
@given(value=st.text(_SENDABLE), name=st.text(_TOKEN, min_size=1))
def test_latin1_text_without_control_characters_is_sent_unchanged(value: str, name: str) -> None:
    assert checked_headers({name: value}, "e") == {name: value}


@settings(max_examples=200, deadline=None)
@given(name=st.text().filter(lambda name: not name or set(name) - set(_TOKEN)))
def test_a_name_that_is_no_token_is_refused(name: str) -> None:
    with pytest.raises(ServerError, match="header named"):
        field_value(name, "a", "e")


def test_a_whole_number_is_written_in_decimal_and_nothing_else_is_text() -> None:
    assert field_value("X-Total-Count", 3, "e") == "3"
    for value in (True, 1.5, b"a", None):
        with pytest.raises(ServerError):
            field_value("X-Echo", value, "e")
