"""Which types take an empty form value as a value, and what dropping blanks leaves."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field

from ajaxkit.core.blanks import EMPTY_DETAIL, drop_blanks, say_empty, takes_blank


class Size(enum.Enum):
    SMALL = "s"


@pytest.mark.parametrize(
    "annotation",
    [str, str | None, Any, bytes, Literal["", "a"], Annotated[str, Field(min_length=1)]],
)
def test_a_type_with_an_empty_value_takes_blank(annotation: Any) -> None:
    assert takes_blank(annotation)


@pytest.mark.parametrize(
    "annotation",
    [int, int | None, float, bool, dt.date, dt.datetime | None, Size, Literal["a", "b"]],
)
def test_a_type_without_an_empty_value_does_not(annotation: Any) -> None:
    assert not takes_blank(annotation)


def test_lists_are_asked_about_their_items() -> None:
    assert takes_blank(list[str], many=True)
    assert not takes_blank(list[int], many=True)


def test_a_type_pydantic_cannot_validate_is_left_alone() -> None:
    class Opaque:
        pass

    assert takes_blank(Opaque)


# Names and values as a query string or form could carry them, blanks likely.
_values = st.sampled_from(["", "1", " ", "x"])
_raw = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]), st.one_of(_values, st.lists(_values, max_size=4))
)


@settings(max_examples=100, deadline=None)
@given(raw=_raw, names=st.frozensets(st.sampled_from(["a", "b", "c"])))
def test_drop_blanks_removes_exactly_the_blanks_of_the_names(
    raw: dict[str, Any], names: frozenset[str]
) -> None:
    many = frozenset(n for n, v in raw.items() if isinstance(v, list))
    before = dict(raw)
    blanked = drop_blanks(raw, names, many)
    for name, value in before.items():
        if name not in names:
            assert raw[name] == value
        elif name in many:
            kept = [item for item in value if item != ""]
            assert raw.get(name) == (kept or None)
            assert (name in blanked) == (not kept)
        else:
            assert (name in raw) == (value != "") == (name not in blanked)


def test_say_empty_rewords_only_the_missing_blanks() -> None:
    errors: list[Any] = [
        {"parameter": "a", "detail": "Field required", "code": "missing"},
        {"pointer": "#/b", "detail": "Field required", "code": "missing"},
        {"parameter": "c", "detail": "Field required", "code": "missing"},
        {"parameter": "a", "detail": "bad", "code": "int_parsing"},
    ]
    details = [e["detail"] for e in say_empty(errors, frozenset({"a", "b"}))]
    assert details == [EMPTY_DETAIL, EMPTY_DETAIL, "Field required", "bad"]
