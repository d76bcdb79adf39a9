"""JSON encoding of handler results (orjson, with a pluggable fallback).

orjson already encodes ``datetime``/``date``/``time`` (ISO 8601), ``UUID``,
``Enum`` and dataclasses natively and fast.  What it does not know is handled
by :meth:`JSONEncoder.default`, looked up by type once per value:

* ``Decimal`` becomes a JSON *string* (``"12.30"``): a JSON number would be
  read back as a binary float by every browser and most clients, which is
  exactly the rounding we promise not to do.  pydantic and Django REST
  framework make the same choice.
* ``timedelta`` becomes an ISO 8601 duration (``"P1DT2H"``), written as
  pydantic writes it, so a result says the same with or without a response
  model (Django's ``JsonResponse`` writes durations in ISO 8601 too).
* a ``time`` with an offset (PostgreSQL's ``timetz``), which orjson refuses,
  is written in ISO 8601 as well (``"12:30:00+02:00"``).
* ``set``/``frozenset`` become arrays, sorted when the items can be sorted,
  so the same data always gives the same bytes (ETags depend on that).
* pydantic models are dumped in JSON mode.
* a :class:`~ajaxkit.types.MultiDict` (``request.data`` of a form) becomes an
  object of its last values, as ``d[key]`` reads it, so a handler echoing a
  form body does not fail with a 500.
* a framework's own values that stand for plain data (Django's lazy text,
  ``gettext_lazy``) are written as that data, once its integration has
  declared them (:func:`declare_value_type`), by every encoder.
* anything else is offered to the registered encoders and hooks (the model
  layer teaches Django and SQLAlchemy objects this way).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import orjson
from pydantic import BaseModel, TypeAdapter

from ajaxkit.types import MultiDict

__all__ = ["JSONEncoder", "UnencodableValue", "declare_value_type"]

# Non-string dict keys cost orjson ~60% on every dump when allowed up front,
# so they are allowed only on a retry, when a dump actually met one.
_NON_STR_KEY_MESSAGE = "Dict key must be str"
_AWARE_TIME_MESSAGE = "datetime.time must not have tzinfo set"
_UNHANDLED: Any = object()

Hook = Callable[[Any], Any]
#: Values orjson would encode natively that an encoder may take over instead.
Passthrough = Literal["datetime", "subclass"]
_PASSTHROUGH_OPTIONS = {
    "datetime": orjson.OPT_PASSTHROUGH_DATETIME,
    "subclass": orjson.OPT_PASSTHROUGH_SUBCLASS,
}


#: Framework types every encoder writes (:func:`declare_value_type`).
_FRAMEWORK_TYPES: dict[type, Hook] = {}
#: Every encoder, so that a declaration reaches the lookups they cached.
_ENCODERS: weakref.WeakSet[JSONEncoder] = weakref.WeakSet()


def declare_value_type(value_type: type, encode: Hook) -> None:
    """Make every encoder write instances of ``value_type`` (and subclasses)
    as ``encode`` returns them, unless it registered its own encoder.

    For an integration's values a project returns as plain data without
    thinking of them as a type: Django's lazy strings, which its own
    ``JsonResponse`` writes as their text.  Global, as the integration is:
    an encoder made before the declaration writes them too.
    """
    _FRAMEWORK_TYPES[value_type] = encode
    for encoder in _ENCODERS:  # what they found for the type (nothing) is stale
        encoder._resolved.clear()


class UnencodableValue(TypeError):
    """A value that cannot be encoded: of a type no encoder knows
    (``value_type``), or past what JSON can carry (``value_type`` is ``None``).

    ``what`` describes it for a message: "a value of type decimal.Context",
    "an integer beyond 64 bits, ...".
    """

    def __init__(self, value_type: type | None, what: str | None = None) -> None:
        self.value_type = value_type
        self.what = what or f"a value of type {_type_name(value_type)}"
        super().__init__(
            f"Type is not JSON serializable: {_type_name(value_type)}"
            if value_type is not None
            else f"Cannot encode {self.what}"
        )


def _type_name(value_type: type | None) -> str:
    return "?" if value_type is None else f"{value_type.__module__}.{value_type.__qualname__}"


#: What orjson's own refusals (which name no value) mean, by their message.
_ORJSON_LIMITS = {
    "Integer exceeds 64-bit range": (
        "an integer beyond 64 bits, which JSON readers cannot hold exactly "
        "(a browser keeps 53 bits of a number): return it as a string, str(n)"
    ),
    "Recursion limit reached": (
        "a value nested more than 254 levels deep, or one that contains itself"
    ),
}


_DURATION: TypeAdapter[timedelta] = TypeAdapter(timedelta)


def _encode_duration(value: timedelta) -> Any:
    return _DURATION.dump_python(value, mode="json")


def _encode_set(value: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(value)
    except TypeError:  # mixed or unorderable items: keep them, order unspecified
        return list(value)


def _encode_model(value: BaseModel) -> Any:
    # By alias: the names the model is read by and the OpenAPI document
    # (pydantic's JSON schema) gives, as FastAPI sends it.
    return value.model_dump(mode="json", by_alias=True)


class JSONEncoder:
    """Turns handler results into JSON bytes.

    Teach it a type with :meth:`register` (exact type or base class) or a
    predicate-style :meth:`add_hook` that returns :data:`JSONEncoder.SKIP`
    for values it does not handle.

    Args:
        passthrough: kinds of values orjson encodes natively that should go
            through :meth:`default` (and so the registered encoders) instead:
            ``"datetime"`` (``datetime``/``date``/``time``) and ``"subclass"``
            (subclasses of ``str``, ``int``, ``dict`` and ``list``).  A
            compatibility profile uses this to reproduce another encoder's
            output (django-ajax's ``DjangoJSONEncoder`` datetimes).
    """

    #: Returned by a hook that does not handle the value.
    SKIP: Any = _UNHANDLED

    def __init__(self, *, passthrough: Iterable[Passthrough] = ()) -> None:
        self._option = 0
        for kind in passthrough:
            self._option |= _PASSTHROUGH_OPTIONS[kind]
        self._by_type: dict[type, Hook] = {
            Decimal: str,
            timedelta: _encode_duration,
            set: _encode_set,
            frozenset: _encode_set,
            MultiDict: dict,
        }
        self._hooks: list[Hook] = []
        self._resolved: dict[type, Hook | None] = {}
        _ENCODERS.add(self)

    def register(self, value_type: type, encode: Hook) -> None:
        """Encode instances of ``value_type`` (and subclasses) with ``encode``."""
        self._by_type[value_type] = encode
        self._resolved.clear()

    def add_hook(self, hook: Hook) -> None:
        """Offer every otherwise unknown value to ``hook``."""
        self._hooks.append(hook)

    def dumps(self, value: Any) -> bytes:
        """Encode ``value``; raises :class:`UnencodableValue` for unknown types."""
        try:
            return orjson.dumps(value, default=self.default, option=self._option)
        except orjson.JSONEncodeError as exc:
            if str(exc) == _NON_STR_KEY_MESSAGE:
                return self._dumps_non_str_keys(value)
            if str(exc) == _AWARE_TIME_MESSAGE:
                return self._dumps_aware_times(value)
            raise _refusal(exc) from None

    def _dumps_aware_times(self, value: Any) -> bytes:
        """``value`` holding a time of day with an offset (a PostgreSQL
        ``timetz``), which orjson refuses: written in ISO 8601 as orjson
        writes the other datetimes (``"12:30:00+02:00"``).  Only values that
        hold one pay for the second pass."""

        def default(item: Any) -> Any:
            if (
                isinstance(item, (dt.datetime, dt.date, dt.time))
                and self._resolve(type(item)) is None
            ):
                return item.isoformat()
            return self.default(item)

        try:
            return orjson.dumps(
                value, default=default, option=self._option | orjson.OPT_PASSTHROUGH_DATETIME
            )
        except orjson.JSONEncodeError as exc:
            raise _refusal(exc) from None

    def _dumps_non_str_keys(self, value: Any) -> bytes:
        try:
            return orjson.dumps(
                value, default=self.default, option=self._option | orjson.OPT_NON_STR_KEYS
            )
        except orjson.JSONEncodeError as exc:
            raise _refusal(exc) from None

    def default(self, value: Any) -> Any:
        """orjson's fallback: convert ``value`` into something it can encode."""
        value_type = type(value)
        encode = self._resolve(value_type)
        if encode is not None:
            return encode(value)
        if isinstance(value, BaseModel):
            return _encode_model(value)
        for hook in self._hooks:
            result = hook(value)
            if result is not _UNHANDLED:
                return result
        raise UnencodableValue(value_type)

    def _resolve(self, value_type: type) -> Hook | None:
        try:
            return self._resolved[value_type]
        except KeyError:
            pass
        found = _lookup(self._by_type, value_type) or _lookup(_FRAMEWORK_TYPES, value_type)
        self._resolved[value_type] = found
        return found


def _lookup(encoders: dict[type, Hook], value_type: type) -> Hook | None:
    return next((encoders[b] for b in value_type.__mro__ if b in encoders), None)


def _refusal(exc: orjson.JSONEncodeError) -> UnencodableValue:
    """The error for orjson's refusal ``exc``: the type a ``default`` did not
    know, or one of orjson's own limits, which carry no value."""
    if isinstance(exc.__cause__, UnencodableValue):
        return exc.__cause__
    message = str(exc)
    limit = _ORJSON_LIMITS.get(message, f"a value orjson refused ({message})")
    return UnencodableValue(None, limit)
