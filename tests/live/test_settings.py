"""``LiveSettings`` values are checked when built, naming the field and the value.

They were not checked at all: a negative heartbeat made the heartbeat
thread's wait raise, a zero ``poll_timeout`` turned long-poll into a busy
loop of short polls, ``max_topics=0`` refused every subscription, and a
string failed only on the first connection.  The ranges come from how each
is used (ajaxkit.live.hub):

- ``heartbeat``: seconds between comments, ``0`` for none, so 0 or more;
- ``retry_ms``: the SSE ``retry:`` field, which browsers read only as
  digits, so a whole number, 0 or more;
- ``stream_seconds`` (or ``None``), ``wsgi_stream_seconds``,
  ``poll_timeout``: above 0, or every stream ends / every poll answers at
  once;
- ``max_topics``, ``buffer_bytes``, ``poll_limit``, ``backlog_page``: 1 or
  more.

Seconds must be finite (a thread cannot wait for ``inf``); a bool is not a
number here.  ``message_rate`` is a rate as ``message_rate=`` reads it (or
``None``), tested on its own.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ajaxkit import ConfigurationError
from ajaxkit.live import LiveSettings

ALL_FIELDS = [f.name for f in dataclasses.fields(LiveSettings)]
#: The numeric fields; message_rate is a rate.
FIELDS = [name for name in ALL_FIELDS if name != "message_rate"]

#: field → (smallest accepted value, a value just outside the range).
EDGES: dict[str, tuple[Any, Any]] = {
    "heartbeat": (0, -0.5),
    "retry_ms": (0, -1),
    "stream_seconds": (0.001, 0),
    "wsgi_stream_seconds": (0.001, 0),
    "poll_timeout": (0.001, 0),
    "max_topics": (1, 0),
    "buffer_bytes": (1, 0),
    "poll_limit": (1, 0),
    "backlog_page": (1, 0),
}

SECONDS = {"heartbeat", "stream_seconds", "wsgi_stream_seconds", "poll_timeout"}


def _refused(field: str, value: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        LiveSettings(**{field: value})
    message = str(info.value)
    assert f"LiveSettings({field}={value!r})" in message
    return message


def test_the_defaults_are_accepted() -> None:
    assert LiveSettings().heartbeat == 15.0
    assert set(EDGES) == set(FIELDS)
    assert LiveSettings().message_rate == "20/second, 300/minute"


@pytest.mark.parametrize("field", FIELDS)
def test_each_range_starts_where_its_use_makes_sense(field: str) -> None:
    smallest, outside = EDGES[field]
    assert getattr(LiveSettings(**{field: smallest}), field) == smallest
    _refused(field, outside)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", ["10", True, None, [1], math.nan])
def test_a_value_of_the_wrong_kind_is_refused(field: str, value: Any) -> None:
    if field == "stream_seconds" and value is None:
        assert LiveSettings(stream_seconds=None).stream_seconds is None  # never ends
        return
    _refused(field, value)


@pytest.mark.parametrize("field", sorted(SECONDS))
def test_seconds_must_be_finite(field: str) -> None:
    _refused(field, math.inf)


@pytest.mark.parametrize("field", sorted(set(FIELDS) - SECONDS))
def test_counts_must_be_whole(field: str) -> None:
    _refused(field, 1.5)


def test_the_message_says_what_is_wanted() -> None:
    assert _refused("poll_timeout", 0).endswith("must be a finite number of seconds, above 0.")
    assert _refused("max_topics", "3").endswith("must be a whole number, 1 or more.")


@pytest.mark.parametrize("value", ["fast", "0/second", 20, True, [], ("5/second", "5/second")])
def test_L13_an_unreadable_message_rate_is_refused_by_name(value: Any) -> None:
    assert "message_rate" in _refused("message_rate", value)


@pytest.mark.parametrize("value", ["5/second", "5 per second, 100/minute", ("1/second",), None])
def test_L13_a_readable_message_rate_is_kept(value: Any) -> None:
    assert LiveSettings(message_rate=value).message_rate == value


@pytest.mark.parametrize("field", ALL_FIELDS)
def test_docs_live_md_gives_each_fields_range(field: str) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "live.md").read_text(encoding="utf-8")
    row = next((line for line in page.splitlines() if line.startswith(f"| `{field}` |")), "")
    assert row.count("|") == 5, f"docs/live.md has no settings row for {field}"


def test_replacing_a_field_is_checked_too() -> None:
    with pytest.raises(ConfigurationError, match=r"LiveSettings\(heartbeat=-1\)"):
        dataclasses.replace(LiveSettings(), heartbeat=-1)


@given(
    field=st.sampled_from(FIELDS),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(),
        st.text(max_size=4),
    ),
)
def test_any_value_is_accepted_in_range_or_refused_by_name(field: str, value: Any) -> None:
    try:
        built = LiveSettings(**{field: value})
    except ConfigurationError as exc:
        assert f"LiveSettings({field}={value!r})" in str(exc)
    else:
        got = getattr(built, field)
        if got is None:
            assert field == "stream_seconds"
            return
        assert not isinstance(got, bool)
        assert math.isfinite(got)
        if field in SECONDS:
            assert got >= 0 if field == "heartbeat" else got > 0
        else:
            assert isinstance(got, int)
            assert got >= EDGES[field][0]
