from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson
import pytest

from ajaxkit import JSONEncoder
from ajaxkit.core.encoding import UnencodableValue


class Tag:
    def __init__(self, name: str) -> None:
        self.name = name


class SpecialTag(Tag):
    pass


def test_registered_base_class_covers_subclasses() -> None:
    encoder = JSONEncoder()
    encoder.register(Tag, lambda t: t.name)
    assert orjson.loads(encoder.dumps([Tag("a"), SpecialTag("b")])) == ["a", "b"]


def test_hook_can_decline_with_skip() -> None:
    encoder = JSONEncoder()
    encoder.add_hook(lambda v: JSONEncoder.SKIP)
    encoder.add_hook(lambda v: f"<{type(v).__name__}>" if isinstance(v, Tag) else JSONEncoder.SKIP)
    assert encoder.dumps(Tag("x")) == b'"<Tag>"'


def test_unknown_type_names_the_type() -> None:
    with pytest.raises(UnencodableValue) as info:
        JSONEncoder().dumps({"a": [Tag("x")]})
    assert info.value.value_type is Tag
    assert "test_encoding.Tag" in str(info.value)


def test_int_over_64_bits_is_an_encoding_error_not_a_crash() -> None:
    with pytest.raises(UnencodableValue):
        JSONEncoder().dumps(2**70)


def test_decimal_keeps_trailing_zeros_and_exponent_form() -> None:
    assert JSONEncoder().dumps([Decimal("1.10"), Decimal("1E+2")]) == b'["1.10","1E+2"]'


def test_unorderable_set_still_encodes() -> None:
    assert sorted(orjson.loads(JSONEncoder().dumps({1, "a"})), key=str) == [1, "a"]


def test_non_string_keys_are_allowed() -> None:
    day = dt.date(2024, 1, 1)
    assert orjson.loads(JSONEncoder().dumps({1: "a", day: "b"})) == {"1": "a", "2024-01-01": "b"}
