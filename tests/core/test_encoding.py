from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter

from ajaxkit import Ajax, JSONEncoder
from ajaxkit.core.encoding import UnencodableValue
from ajaxkit.testing import Client


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


def test_int_over_64_bits_is_named_as_such_not_as_a_type() -> None:
    # orjson's own refusal carries no value: the error must not blame a type
    # (it once said "builtins.TypeError") but say what was wrong and what to do.
    with pytest.raises(UnencodableValue) as info:
        JSONEncoder().dumps({"id": 2**70})
    assert info.value.value_type is None
    assert "integer beyond 64 bits" in str(info.value)
    assert "str(" in str(info.value)
    assert "TypeError" not in str(info.value)


@pytest.mark.parametrize("shape", ["contains itself", "too deep"])
def test_self_containing_or_too_deep_value_is_named_as_such(shape: str) -> None:
    value: list[Any] = []
    if shape == "contains itself":
        value.append(value)
    else:
        inner = value
        for _ in range(300):
            inner.append([])
            inner = inner[0]
    with pytest.raises(UnencodableValue) as info:
        JSONEncoder().dumps(value)
    assert info.value.value_type is None
    assert "nested more than" in str(info.value)
    assert "contains itself" in str(info.value)


def test_decimal_keeps_trailing_zeros_and_exponent_form() -> None:
    assert JSONEncoder().dumps([Decimal("1.10"), Decimal("1E+2")]) == b'["1.10","1E+2"]'


def test_unorderable_set_still_encodes() -> None:
    assert sorted(orjson.loads(JSONEncoder().dumps({1, "a"})), key=str) == [1, "a"]


def test_non_string_keys_are_allowed() -> None:
    day = dt.date(2024, 1, 1)
    assert orjson.loads(JSONEncoder().dumps({1: "a", day: "b"})) == {"1": "a", "2024-01-01": "b"}


def test_passthrough_hands_datetimes_and_subclasses_to_registered_encoders() -> None:
    class Text(str):
        pass

    encoder = JSONEncoder(passthrough=("datetime", "subclass"))
    encoder.register(dt.date, lambda value: "a date")
    encoder.register(str, str.__str__)
    assert encoder.dumps([dt.date(2024, 1, 1), Text("x")]) == b'["a date","x"]'
    assert JSONEncoder().dumps([dt.date(2024, 1, 1)]) == b'["2024-01-01"]'


def test_an_endpoint_returning_a_huge_integer_logs_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Ajax()

    @api.endpoint("factorial")
    def factorial() -> dict[str, int]:
        return {"value": math.factorial(30)}

    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = Client(api).get("/ajax/factorial")
    assert response.status == 500
    assert response.json()["code"] == "encoding_failed"
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert any("factorial" in m and "integer beyond 64 bits" in m for m in messages), messages
    # Not the advice for an unknown type, which would name orjson's TypeError.
    assert not any("register(" in m for m in messages), messages


class Rows:
    """Iterable but not a list, as a Django QuerySet or SQLAlchemy's result is."""

    def __iter__(self) -> Any:
        return iter([{"id": 1}])


@pytest.mark.parametrize("value", [Rows(), {"a": 1}.values(), range(3)])
def test_an_endpoint_returning_an_iterable_is_told_to_make_it_a_list(
    caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    # A newcomer's `return User.objects.values("id")`: the advice to register
    # an encoder for QuerySet sent them the long way round.
    api = Ajax()

    @api.endpoint("rows")
    def rows() -> Any:
        return {"rows": value}

    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = Client(api).get("/ajax/rows")
    assert response.json()["code"] == "encoding_failed"
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    kind = type(value).__qualname__
    assert any(f"{kind}, which is iterable but not a list" in m for m in messages), messages
    assert any("list(...)" in m for m in messages), messages


@pytest.mark.parametrize("value", [b"%PDF-1.7", bytearray(b"ab"), memoryview(b"ab")])
def test_an_endpoint_returning_bytes_is_told_how_to_send_them(
    caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    # A file's contents returned as they are: list(...) of them would send
    # an array of byte values, which is never what was meant.
    api = Ajax()

    @api.endpoint("report")
    def report() -> Any:
        return value

    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = Client(api).get("/ajax/report")
    assert response.json()["code"] == "encoding_failed"
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert not any("list(...)" in m for m in messages), messages
    assert any("report" in m and "AjaxResponse(body=" in m for m in messages), messages
    assert any(".decode()" in m for m in messages), messages


async def _load_user() -> dict[str, str]:
    return {"name": "ada"}


@pytest.mark.parametrize("nested", [False, True])
def test_an_endpoint_returning_a_coroutine_is_told_to_await_it(
    caplog: pytest.LogCaptureFixture, nested: bool
) -> None:
    # `return load_user()`, the await forgotten: the advice to register an
    # encoder for coroutine sent the reader the wrong way.
    api = Ajax()
    made: list[Coroutine[Any, Any, dict[str, str]]] = []

    @api.endpoint("me")
    async def me() -> Any:
        made.append(_load_user())
        return {"user": made[0]} if nested else made[0]

    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = Client(api).get("/ajax/me")
    made[0].close()  # never awaited, as in the handler: no warning about it here
    assert response.json()["code"] == "encoding_failed"
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert not any("register(" in m for m in messages), messages
    assert any("me" in m and "without await" in m for m in messages), messages


@pytest.mark.parametrize(
    ("duration", "written"),
    [
        (dt.timedelta(seconds=90.5), "PT1M30.5S"),
        (dt.timedelta(hours=-1), "-PT1H"),
        (dt.timedelta(microseconds=5), "PT0.000005S"),
    ],
)
def test_a_duration_is_written_as_a_response_model_writes_it(
    duration: dt.timedelta, written: str
) -> None:
    # Fractions and signs as pydantic writes them (beyond RFC 3339's
    # duration grammar, which has neither; see docs/protocol.md E1).
    assert orjson.loads(JSONEncoder().dumps(duration)) == written
    assert JSONEncoder().dumps(duration) == TypeAdapter(dt.timedelta).dump_json(duration)


def test_a_time_with_an_offset_is_written_in_iso_8601() -> None:
    # orjson refuses it (a PostgreSQL timetz): every answer holding one was a 500.
    offset = dt.timezone(dt.timedelta(hours=2))
    value = {
        "opens": dt.time(12, 30, tzinfo=offset),
        "at": dt.datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=dt.timezone.utc),
        "price": Decimal("1.50"),
    }
    assert JSONEncoder().dumps(value) == (
        b'{"opens":"12:30:00+02:00","at":"2024-01-01T12:00:00.000005+00:00","price":"1.50"}'
    )
