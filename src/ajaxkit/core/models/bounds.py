"""Integer ranges: values a column cannot store are refused before the database sees them.

A number too large for its column is a driver error (``OverflowError``,
PostgreSQL's "integer out of range") and so a 500.  Repositories describe
each integer field's range once, at registration
(:attr:`~ajaxkit.core.models.repository.FieldInfo.value_range`), from the
column type and the database; every place a client's value meets an integer
column -- write bodies, filters, cursors, primary keys in the path -- checks
it here.  A field with no declared range still gets the signed 64-bit one,
the largest any driver binds.

Floats must be finite in the same places: pydantic reads ``"nan"`` and
``"inf"`` from text, a database stores them, and JSON cannot write them
(the record came back with ``null``, so a write stored what no client
sent and could not read back), as the binder refuses them for handlers.
An aware datetime must have a UTC time in years 1 to 9999: ORMs store it
in UTC, and ``0001-01-01T00:00:00+01:00`` has none (an ``OverflowError``).
A time of day takes no UTC offset unless its column keeps one: Django
refused to send one to SQLite (a ``ValueError``) and PostgreSQL's ``time``
dropped it (``12:00+02:00`` was stored as ``12:00``).
A duration must fit the column's range (:attr:`FieldInfo.value_range`, in
microseconds): a database without an interval type stores it as a number
or a datetime, and a longer one was an ``OverflowError``.
A decimal must have no more digits before the point than its column holds
(``max_digits - decimal_places``; PostgreSQL's 131,072 for a column that
declares none) and at most 16,383 after it: PostgreSQL refuses to compare
anything beyond its numeric type ("value overflows numeric format").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, AllowInfNan
from pydantic_core import PydanticCustomError

from ajaxkit.core.models.repository import FieldInfo

__all__ = [
    "INT16",
    "INT32",
    "INT64",
    "bounded_type",
    "in_range",
    "in_utc_range",
    "int_range",
    "storable_pk",
]

INT16 = (-(2**15), 2**15 - 1)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def int_range(info: FieldInfo) -> tuple[int, int] | None:
    """The inclusive range of an integer field (or of the related pk, for a
    relation), ``None`` for other types."""
    if info.python_type is not int:
        return None
    low, high = info.value_range or INT64
    return max(low, INT64[0]), min(high, INT64[1])


def bounded_type(info: FieldInfo) -> Any:
    """``info.python_type``, limited to the column's range for integers and
    to finite values for floats."""
    if info.python_type is float:
        return Annotated[float, AllowInfNan(False)]
    if info.python_type is dt.datetime:
        return Annotated[dt.datetime, AfterValidator(in_utc_range)]
    if info.python_type is Decimal:
        return Annotated[Decimal, AfterValidator(_DecimalRange.of(info))]
    if info.python_type is dt.time and not info.keeps_offset:
        return Annotated[dt.time, AfterValidator(_without_offset)]
    if info.python_type is dt.timedelta and info.value_range is not None:
        return Annotated[dt.timedelta, AfterValidator(_DurationRange(*info.value_range))]
    bounds = int_range(info)
    if bounds is None:
        return info.python_type
    return Annotated[int, Interval(ge=bounds[0], le=bounds[1])]


def in_utc_range(value: dt.datetime) -> dt.datetime:
    """``value``, if its time in UTC falls in the years 1 to 9999 (a datetime
    without an offset is taken as it is); a pydantic ``datetime_range`` error
    otherwise, where converting it would raise ``OverflowError``."""
    if value.tzinfo is not None:
        try:
            value.astimezone(dt.timezone.utc)
        except OverflowError:
            raise PydanticCustomError(
                "datetime_range", "The time in UTC is outside the years 1 to 9999"
            ) from None
    return value


def _without_offset(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise PydanticCustomError(
            "time_offset", "The time of day takes no UTC offset: its column keeps none"
        )
    return value


@dataclass(frozen=True)
class _DurationRange:
    """Refuses durations outside ``low..high`` microseconds."""

    low: int
    high: int

    def __call__(self, value: dt.timedelta) -> dt.timedelta:
        if not self.low <= value // _MICROSECOND <= self.high:
            raise PydanticCustomError(
                "duration_range",
                "The duration is outside what the column stores ({low} to {high} days)",
                {"low": -(-self.low // _DAY), "high": self.high // _DAY},
            )
        return value


_MICROSECOND = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds


#: PostgreSQL's numeric: at most this many digits before the point and after it.
NUMERIC_WHOLE_DIGITS = 131_072
NUMERIC_PLACES = 16_383


@dataclass(frozen=True)
class _DecimalRange:
    """Refuses decimals with more digits than the column (or any
    PostgreSQL numeric) holds, in pydantic's own words for a write's."""

    whole: int

    @classmethod
    def of(cls, info: FieldInfo) -> _DecimalRange:
        if info.max_digits is None:
            return cls(NUMERIC_WHOLE_DIGITS)
        return cls(max(info.max_digits - (info.decimal_places or 0), 0))

    def __call__(self, value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):  # not finite: refused by pydantic already
            return value
        if not value.is_zero() and value.adjusted() + 1 > self.whole:
            raise PydanticCustomError(
                "decimal_whole_digits",
                "Decimal input should have no more than {whole_digits} digits "
                "before the decimal point",
                {"whole_digits": self.whole},
            )
        if -exponent > NUMERIC_PLACES:
            raise PydanticCustomError(
                "decimal_max_places",
                "Decimal input should have no more than {decimal_places} decimal places",
                {"decimal_places": NUMERIC_PLACES},
            )
        return value


def in_range(info: FieldInfo, value: Any) -> bool:
    """Whether the column can hold ``value`` (always true for non-integers)."""
    bounds = int_range(info)
    if bounds is None or not isinstance(value, int):
        return True
    return bounds[0] <= value <= bounds[1]


def storable_pk(info: FieldInfo, value: Any) -> bool:
    """Whether a row could have primary key ``value``: in the column's range
    and, for text, free of NUL (which no database stores)."""
    if isinstance(value, str):
        return "\x00" not in value
    return in_range(info, value)
