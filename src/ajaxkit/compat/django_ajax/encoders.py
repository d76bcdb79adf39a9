"""Encoding: the wire (``DjangoJSONEncoder`` semantics) and records (django-ajax's shape).

:func:`json_encoder` is the profile's JSON encoder: datetimes, dates, times,
durations, ``Decimal``, ``UUID`` and lazy strings encode exactly as Django's
``DjangoJSONEncoder`` encodes them (aware datetimes to milliseconds with
``Z``, ``Decimal`` as a string), and a ``QueryDict`` (``return request.POST``)
as its last values.

Records (:data:`encoder`) are the original package's shape::

    {**record.extra_fields, <field>: <value>, ..., "pk": <pk>}

over the model's own fields and many-to-many fields; a foreign key is the
related pk, a many-to-many field a list of pks, the pk is under
``AJAX_PK_ATTR_NAME`` (default ``"pk"``).  The values are read by the model
layer's serializer (:func:`ajaxkit.core.models.view.serialize`), the same as
every ajaxkit model endpoint.  ``encoder.register(Model, IncludeEncoder([...]))``
or ``ExcludeEncoder([...])`` narrows the fields shown for a model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings as django_settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from django.utils.datastructures import MultiValueDict
from django.utils.functional import Promise

from ajaxkit.compat.django_ajax.exceptions import AlreadyRegistered, NotRegistered
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.core.models.repository import repository_for
from ajaxkit.core.models.view import View, serialize

__all__ = [
    "DefaultEncoder",
    "Encoders",
    "ExcludeEncoder",
    "IncludeEncoder",
    "encoder",
    "json_encoder",
    "legacy_fields",
    "pk_attr_name",
]


def json_encoder() -> JSONEncoder:
    """A JSON encoder that writes values as ``DjangoJSONEncoder`` does."""
    encoder = JSONEncoder(passthrough=("datetime", "subclass"))
    django = DjangoJSONEncoder()
    for value_type in (dt.datetime, dt.date, dt.time, dt.timedelta, Promise):
        encoder.register(value_type, django.default)
    # The json module encodes a dict subclass through .items(): a QueryDict
    # gives each key's last value, which is what django-ajax clients read.
    encoder.register(MultiValueDict, lambda value: dict(value.items()))
    encoder.register(dict, dict)
    encoder.register(list, list)
    encoder.register(str, str.__str__)  # SafeString and friends: their text
    encoder.register(int, int)
    return encoder


def pk_attr_name() -> str:
    """The record member holding the pk (``AJAX_PK_ATTR_NAME``, default ``"pk"``)."""
    return str(getattr(django_settings, "AJAX_PK_ATTR_NAME", "pk"))


def legacy_fields(model: Any) -> list[str]:
    """The fields a record shows: the model's own fields (pk aside) and its
    many-to-many fields with automatic through tables, as Django's Python
    serializer (which django-ajax used) shows them."""
    opts = model._meta
    names = [f.name for f in opts.concrete_fields if not f.primary_key]
    names += [f.name for f in opts.many_to_many if f.remote_field.through._meta.auto_created]
    return names


class DefaultEncoder:
    """Every field of the record."""

    def fields(self, model: Any) -> list[str]:
        """The fields shown for ``model``."""
        return legacy_fields(model)

    def __call__(self, record: Any) -> dict[str, Any]:
        return encoder.encode(record, self)  # type: ignore[no-any-return]


class IncludeEncoder(DefaultEncoder):
    """Only the fields in ``include`` (the pk and ``extra_fields`` always show)."""

    def __init__(self, include: Iterable[str]) -> None:
        self.include = list(include)

    def fields(self, model: Any) -> list[str]:
        return [name for name in legacy_fields(model) if name in self.include]


class ExcludeEncoder(DefaultEncoder):
    """Every field but those in ``exclude``."""

    def __init__(self, exclude: Iterable[str]) -> None:
        self.exclude = list(exclude)

    def fields(self, model: Any) -> list[str]:
        return [name for name in legacy_fields(model) if name not in self.exclude]


class Encoders:
    """The per-model record encoders (``ajax.encoder``)."""

    def __init__(self) -> None:
        self._registry: dict[Any, DefaultEncoder] = {}

    def register(self, model: Any, record_encoder: DefaultEncoder) -> None:
        """Encode records of ``model`` with ``record_encoder``."""
        if model in self._registry:
            raise AlreadyRegistered(f"{model.__name__} already has an encoder.")
        self._registry[model] = record_encoder

    def unregister(self, model: Any) -> None:
        if model not in self._registry:
            raise NotRegistered(f"{model.__name__} has no encoder.")
        del self._registry[model]

    def for_model(self, model: Any) -> DefaultEncoder:
        """The encoder registered for ``model``, or the default."""
        return self._registry.get(model) or DefaultEncoder()

    def encode(self, value: Any, record_encoder: DefaultEncoder | None = None) -> Any:
        """A record for a model instance, a list of them for a queryset or
        any other iterable of instances; anything else as it is."""
        if isinstance(value, models.Model):
            return self._record(value, record_encoder)
        if isinstance(value, (models.QuerySet, Sequence)) and not isinstance(value, (str, bytes)):
            return [self.encode(item, record_encoder) for item in value]
        return value

    def _record(self, obj: models.Model, record_encoder: DefaultEncoder | None) -> dict[str, Any]:
        model = type(obj)
        repository = repository_for(model, using=obj._state.db or router.db_for_read(model))
        shown = (record_encoder or self.for_model(model)).fields(model)
        view = View(repository.info, tuple(repository.info.fields[name] for name in shown))
        with repository.reading() as unit:
            values = serialize(unit, obj, view, {}, _no_expansion)
        return shape_record(obj, values)

    def filter(self, model: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` narrowed to the fields the model's encoder shows."""
        shown = set(self.for_model(model).fields(model))
        return {name: value for name, value in values.items() if name in shown}


def shape_record(obj: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (serialized fields) as django-ajax's record of ``obj``."""
    extra = getattr(obj, "extra_fields", None)
    record: dict[str, Any] = dict(extra) if isinstance(extra, Mapping) else {}
    record.update(values)
    record[pk_attr_name()] = obj.pk
    return record


_no_expansion: Callable[[Any], View | None] = lambda model: None  # noqa: E731

#: The record encoders (``ajax.encoder`` in the original).
encoder = Encoders()
