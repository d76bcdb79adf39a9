"""The Django ORM repository for model endpoints.

Each operation runs in ``transaction.atomic(using=alias)`` (in an atomic
batch, nested in the batch's: see :mod:`ajaxkit.django.transactions`); after-commit
hooks go through ``transaction.on_commit``, so with ``ATOMIC_REQUESTS`` they
still wait for the outermost commit.  When the operation's block is the
outermost, a hook that raises after its commit (the endpoint's or the
application's own, say from a ``post_save`` handler) is reported, not raised:
the write stands.  Relations load eagerly as the plan
asks: foreign keys with ``select_related``, to-many relations with
``prefetch_related`` (nested through ``Prefetch`` querysets), so a page
costs a constant number of queries.  ``IntegrityError`` is translated here,
in :meth:`DjangoRepository.transaction` only.  A model's own field rules
(``blank``, field validators) hold for what clients write: see
:meth:`DjangoRepository.check_values`.
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from ajaxkit.core.fielderrors import field_error
from ajaxkit.core.models.bounds import INT64, in_utc_range
from ajaxkit.core.models.integrity import constraint_violation
from ajaxkit.core.models.query import Filter, ListQuery
from ajaxkit.core.models.repository import FieldInfo, LoadPlan, ModelInfo, register_repository
from ajaxkit.core.transactions import HookFailed
from ajaxkit.django.transactions import DjangoTransactions, atomic, held_atomic
from ajaxkit.exceptions import FieldError

__all__ = ["DjangoRepository", "SaveRow", "handles", "repository"]

#: ``save(obj, fields, insert)``: writes one row; ``fields`` are the
#: concrete fields assigned (an update saves only those).
SaveRow = Callable[[models.Model, Sequence[str], bool], None]

_TYPES: dict[str, Any] = {
    "AutoField": int,
    "BigAutoField": int,
    "SmallAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "BooleanField": bool,
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "EmailField": str,
    "URLField": str,
    "DateTimeField": dt.datetime,
    "DateField": dt.date,
    "TimeField": dt.time,
    "DurationField": dt.timedelta,
    "DecimalField": Decimal,
    "FloatField": float,
    "UUIDField": uuid.UUID,
    "JSONField": Any,
}


def handles(model: Any) -> bool:
    """Whether ``model`` is a Django model class."""
    return isinstance(model, type) and issubclass(model, models.Model)


def repository(model: Any, *, using: str = DEFAULT_DB_ALIAS) -> DjangoRepository:
    """The factory :func:`~ajaxkit.core.models.repository_for` calls."""
    return DjangoRepository(model, using)


class DjangoRepository:
    """A Django model's persistence on one database alias."""

    def __init__(self, model: type[models.Model], using: str = DEFAULT_DB_ALIAS) -> None:
        self.model = model
        self.using = using
        self.transaction_source = DjangoTransactions(using)
        self._described: dict[Any, tuple[ModelInfo, dict[str, Any]]] = {}
        self.info = self.describe(model)
        self.save_row: SaveRow = self._save_row
        #: Fields Django sets on every save (``auto_now``): an update saves
        #: only the fields it names, and Django sets these only when saved.
        self.auto_now = tuple(
            f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
        )

    def saving_with(self, save: SaveRow) -> DjangoRepository:
        """This repository, writing rows with ``save`` instead of
        ``Model.save`` (the django-ajax profile calls a legacy endpoint's
        ``_save(record)``).  A cheap copy: model descriptions are shared."""
        clone = copy.copy(self)
        clone.save_row = save
        return clone

    def _save_row(self, obj: models.Model, fields: Sequence[str], insert: bool) -> None:
        if insert:
            obj.save(using=self.using, force_insert=True)
        elif fields:
            obj.save(using=self.using, update_fields=fields)

    def check_values(self, values: Mapping[str, Any]) -> builtins.list[FieldError]:
        """The model's own field rules over client values, in Django's words:
        ``blank=False`` refuses ``""``, field validators run.  Relations are
        left to the model layer, which resolves them itself."""
        errors: builtins.list[FieldError] = []
        for name, value in values.items():
            field = self.django_field(self.model, name)
            if field.is_relation or not field.concrete:
                continue
            try:
                field.clean(value, None)
            except ValidationError as exc:
                errors += [field_error(name, text, code) for text, code in _messages(exc)]
        return errors

    def describe(self, model: Any) -> ModelInfo:
        return self._describe(model)[0]

    def django_field(self, model: Any, name: str) -> Any:
        """The Django field (or reverse relation) behind field ``name``."""
        return self._describe(model)[1][name]

    def _describe(self, model: Any) -> tuple[ModelInfo, dict[str, Any]]:
        found = self._described.get(model)
        if found is None:
            found = self._described[model] = _describe(model, self.using)
        return found

    def scope(self) -> QuerySet[Any]:
        # using() already answers a new QuerySet: no .all(), every clone
        # costs some microseconds on each request.
        every: QuerySet[Any] = self.model._default_manager.using(self.using)
        return every

    @contextmanager
    def transaction(self, hook_failed: HookFailed) -> Iterator[_Unit]:
        try:
            with atomic(self.using, hook_failed):
                yield _Unit(self)
        except IntegrityError as exc:
            raise constraint_violation(exc.__cause__, _columns(self.model)) from exc

    @contextmanager
    def join(self, transaction: Any) -> Iterator[_Unit]:
        """A unit inside an atomic batch's held ``atomic`` block (a savepoint:
        no hook runs, nor can fail, before the batch's commit)."""
        held_atomic(transaction)
        with self.transaction(_nested) as unit:
            yield unit

    @contextmanager
    def reading(self) -> Iterator[_Unit]:
        # No atomic(): in autocommit mode it would add a BEGIN and a COMMIT
        # round trip to every read (under ATOMIC_REQUESTS the request's
        # transaction still covers it).
        yield _Unit(self)


class _Unit:
    """Operations inside one ``atomic`` block."""

    def __init__(self, repo: DjangoRepository) -> None:
        self.repo = repo
        self.model = repo.model
        self.using = repo.using

    # -- reading ---------------------------------------------------------------

    def list(
        self, scope: QuerySet[Any], query: ListQuery, plan: LoadPlan, *, count: bool
    ) -> tuple[builtins.list[Any], int | None]:
        qs = scope.using(self.using)
        condition = self._conditions(query)
        if condition:  # an empty Q() would still clone the query
            qs = qs.filter(condition)
        total = qs.count() if count else None
        qs = self._load(qs.order_by(*self._ordering(query)), self.model, plan)
        return builtins.list(qs[query.offset : query.offset + query.limit + 1]), total

    def _ordering(self, query: ListQuery) -> builtins.list[Any]:
        fields = self.repo.info.fields
        terms: builtins.list[Any] = []
        for o in query.ordering:
            if not fields[o.field].nullable:
                terms.append(str(o))
            elif o.descending:
                # NULL after every value, as PostgreSQL sorts it (SQLite
                # sorted it first): the same list on every database.
                terms.append(F(o.field).desc(nulls_first=True))
            else:
                terms.append(F(o.field).asc(nulls_last=True))
        return terms

    def _conditions(self, query: ListQuery) -> Q:
        condition = Q()
        for spec in query.filters:
            condition &= _q(spec)
        if query.search:
            found = Q()
            for name in query.search_fields:
                found |= Q(**{f"{name}__icontains": query.search})
            condition &= found
        if query.keyset:
            after = Q()
            for group in query.keyset:
                clause = Q()
                for spec in group:
                    clause &= _q(spec)
                after |= clause
            condition &= after
        return condition

    def _load(self, qs: QuerySet[Any], model: Any, plan: LoadPlan) -> QuerySet[Any]:
        selects: builtins.list[str] = []
        prefetches: builtins.list[Any] = []
        self._plan(model, plan, "", selects, prefetches)
        if selects:
            qs = qs.select_related(*selects)
        return qs.prefetch_related(*prefetches) if prefetches else qs

    def _plan(
        self,
        model: Any,
        plan: LoadPlan,
        prefix: str,
        selects: builtins.list[str],
        prefetches: builtins.list[Any],
    ) -> None:
        prefetches += [prefix + name for name in plan.many]
        info = self.repo.describe(model)
        for name, sub in plan.expand.items():
            field = info.fields[name]
            if field.kind == "fk":
                selects.append(prefix + name)
                self._plan(field.related_model, sub, f"{prefix}{name}__", selects, prefetches)
            else:
                related = field.related_model._default_manager.using(self.using).all()
                prefetches.append(
                    Prefetch(prefix + name, queryset=self._load(related, field.related_model, sub))
                )

    def get(
        self, scope: QuerySet[Any], pk: Any, plan: LoadPlan, *, lock: bool = False
    ) -> Any | None:
        qs = self._load(scope.using(self.using), self.model, plan)
        if lock:
            qs = qs.select_for_update(of=("self",))
        try:
            # get(pk=...) filters in the clone get() makes anyway.
            return qs.get(pk=pk)
        except self.model.DoesNotExist:
            return None

    def reload(self, obj: Any, plan: LoadPlan) -> Any:
        return self._load(self.repo.scope().filter(pk=obj.pk), self.model, plan).get()

    def value(self, obj: Any, field: FieldInfo) -> Any:
        if field.kind == "fk":
            return getattr(obj, self.repo.django_field(type(obj), field.name).attname)
        if field.kind == "many":
            return [row.pk for row in getattr(obj, field.name).all()]
        return getattr(obj, field.name)

    def related(self, obj: Any, field: FieldInfo) -> Any:
        if field.kind == "many":
            return builtins.list(getattr(obj, field.name).all())
        return getattr(obj, field.name)

    def missing(
        self, model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        name = key or "pk"
        rows = model._default_manager.using(self.using).filter(**{f"{name}__in": pks})
        found = set(rows.values_list(name, flat=True))
        return [p for p in pks if p not in found]

    def find(
        self, scope: QuerySet[Any], model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        # The scope keeps its own database alias: it is the related
        # endpoint's query.
        return builtins.list(scope.filter(**{f"{key or 'pk'}__in": pks}))

    # -- writing ---------------------------------------------------------------

    def create(self, values: Mapping[str, Any]) -> Any:
        obj = self.model()
        many = self._assign(obj, values)
        self.repo.save_row(obj, [name for name in values if name not in many], True)
        self._set_many(obj, many)
        return obj

    def update(self, obj: Any, values: Mapping[str, Any]) -> None:
        many = self._assign(obj, values)
        changed = [name for name in values if name not in many]
        if changed:
            touched = [name for name in self.repo.auto_now if name not in changed]
            self.repo.save_row(obj, [*changed, *touched], False)
        self._set_many(obj, many)

    def delete(self, obj: Any) -> None:
        obj.delete(using=self.using)

    def _assign(self, obj: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        many = {}
        for name, value in values.items():
            field = self.repo.info.fields[name]
            if field.kind == "many":
                many[name] = value
            else:
                setattr(obj, self.repo.django_field(self.model, name).attname, value)
        return many

    def _set_many(self, obj: Any, many: Mapping[str, Any]) -> None:
        for name, pks in many.items():
            getattr(obj, name).set(pks)

    def on_commit(self, callback: Callable[[], None]) -> None:
        transaction.on_commit(callback, using=self.using)


def _nested(exc: BaseException) -> None:
    # A savepoint's hooks wait for the outermost block: none runs here.
    raise exc


def _q(spec: Filter) -> Q:
    if spec.lookup == "exact" and spec.value is None:
        return Q(**{f"{spec.field}__isnull": True})
    return Q(**{f"{spec.field}__{spec.lookup}": spec.value})


def _messages(exc: ValidationError) -> Iterator[tuple[str, str]]:
    for error in exc.error_list:
        # Iterating one error renders its message with its parameters.
        yield str(next(iter(error))), error.code or "invalid"


def _columns(model: Any) -> dict[str, str]:
    return {f.column: f.name for f in model._meta.concrete_fields}


# -- describing models -------------------------------------------------------


def _describe(model: Any, using: str) -> tuple[ModelInfo, dict[str, Any]]:
    opts = model._meta
    fields: dict[str, FieldInfo] = {}
    by_name: dict[str, Any] = {}
    for field in opts.get_fields():
        if field.auto_created and not field.concrete:
            if not (field.one_to_many or field.many_to_many):
                continue
            name = field.get_accessor_name()
            info = FieldInfo(
                name,
                kind="many",
                python_type=_pk_type(field.related_model),
                related_model=field.related_model,
                writable=False,
                value_range=_range(field.related_model._meta.pk, using),
            )
        elif field.many_to_many:
            name = field.name
            info = FieldInfo(
                name,
                kind="many",
                python_type=_pk_type(field.related_model),
                related_model=field.related_model,
                value_range=_range(field.related_model._meta.pk, using),
            )
        else:
            name = field.name
            info = _concrete(field, using)
        fields[name], by_name[name] = info, field
    resource = f"{opts.app_label}/{opts.model_name}"
    return ModelInfo(model=model, resource=resource, pk=opts.pk.name, fields=fields), by_name


def _concrete(field: Any, using: str) -> FieldInfo:
    generated = bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    generated = generated or (field.primary_key and "AutoField" in field.get_internal_type())
    related_key = None
    if field.is_relation and not field.target_field.primary_key:
        # to_field: the column holds the referenced field's values.
        python_type, kind = _scalar_type(field.target_field), "fk"
        related_key = field.target_field.name
    elif field.is_relation:
        python_type, kind = _pk_type(field.related_model), "fk"
    else:
        python_type, kind = _scalar_type(field), "scalar"
    choices = tuple(value for value, _ in field.flatchoices) if field.choices else None
    return FieldInfo(
        name=field.name,
        kind=kind,  # type: ignore[arg-type]
        python_type=python_type,
        nullable=field.null,
        required=not (field.null or field.blank or _has_default(field) or generated),
        max_length=field.max_length if python_type is str else None,
        choices=choices,
        primary_key=field.primary_key,
        generated=generated,
        unique=field.unique,
        related_model=field.related_model if field.is_relation else None,
        max_digits=getattr(field, "max_digits", None),
        decimal_places=getattr(field, "decimal_places", None),
        value_range=_range(field, using),
        structured=None if field.is_relation else _structured(field.get_internal_type()),
        related_key=related_key,
        opaque=_OPAQUE.get(field.get_internal_type()),
    )


#: Fields whose values JSON cannot carry, and what they hold.
_OPAQUE = {"BinaryField": "bytes", "FileField": "files", "ImageField": "files"}


#: Fields holding more than one plain value (Django's and
#: ``django.contrib.postgres``'s), by internal type, and what they hold.
_STRUCTURED = {"JSONField": "JSON", "ArrayField": "arrays", "HStoreField": "key-value pairs"}


def _structured(internal: str) -> str | None:
    if internal.endswith("RangeField"):
        return "ranges"
    return _STRUCTURED.get(internal)


def _scalar_type(field: Any) -> Any:
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return Annotated[dt.datetime, AfterValidator(_as_django_reads)]
    if internal == "GenericIPAddressField":
        # inet on PostgreSQL: psycopg refuses to send other text as one (a
        # ValueError), so a filter value must be an address too.
        return Annotated[str, AfterValidator(_FieldRules(field))]
    if internal == "ArrayField":
        # A list of the base field's values: Django read a string as JSON (a
        # JSONDecodeError) and measured each item (a TypeError for a number).
        item = _scalar_type(field.base_field)
        return list[item | None] if field.base_field.null else list[item]  # type: ignore[valid-type]
    return _TYPES.get(internal, Any)


def _as_django_reads(value: dt.datetime) -> dt.datetime:
    """``value`` as Django reads it: with ``USE_TZ``, a datetime without an
    offset is in the current time zone (made aware here, so Django warns of
    no naive datetime on every request), and its time in UTC, which is what
    Django stores, must be in the years 1 to 9999 (an ``OverflowError``
    otherwise: the end of 9999 in Chicago is past it).

    Without ``USE_TZ`` an aware datetime is the wall time of Django's time
    zone, as PostgreSQL stores it there: Django refused to send one to SQLite
    (a ``ValueError``).
    """
    value = in_utc_range(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = in_utc_range(timezone.make_aware(value))
    elif not settings.USE_TZ and timezone.is_aware(value):
        value = _wall_time(value)
    return value


def _wall_time(value: dt.datetime) -> dt.datetime:
    try:
        return timezone.make_naive(value, timezone.get_default_timezone())
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "The time in Django's time zone is outside the years 1 to 9999"
        ) from None


@dataclass(frozen=True)
class _FieldRules:
    """A Django field's own validators, as a pydantic validator: the value,
    or the field's first message (``"Enter a valid IPv4 or IPv6 address."``)."""

    field: Any

    def __call__(self, value: str) -> str:
        try:
            self.field.run_validators(value)
        except ValidationError as exc:
            text, code = next(_messages(exc))
            raise PydanticCustomError(code, "{message}", {"message": text}) from None
        return value


def _has_default(field: Any) -> bool:
    """A value is filled in when a create leaves the field out: Python's
    ``default`` or the database's ``db_default`` (which ``has_default()``
    does not count)."""
    # has_db_default() came with Django 5.0; 4.2 has no database defaults.
    has_db_default = getattr(field, "has_db_default", None)
    return bool(field.has_default() or (has_db_default is not None and has_db_default()))


def _range(field: Any, using: str) -> tuple[int, int] | None:
    """The integer range the column of ``field`` (or of the pk it points
    to) stores on database ``using``; for a duration, in microseconds."""
    while field.is_relation:
        field = field.target_field
    internal = field.get_internal_type()
    if internal == "DurationField":
        # Without an interval type Django stores microseconds in a bigint.
        native = connections[using].features.has_native_duration_field
        return None if native else INT64
    if _TYPES.get(internal) is not int:
        return None
    low, high = connections[using].ops.integer_field_range(internal)
    return (low, high) if low is not None and high is not None else None


def _pk_type(model: Any) -> Any:
    return _TYPES.get(
        model._meta.pk.target_field.get_internal_type()
        if model._meta.pk.is_relation
        else model._meta.pk.get_internal_type(),
        Any,
    )


# Importing this module is what makes ``api.model()`` store these models here;
# a fallback, so an application's own registration wins.
register_repository(handles, repository, fallback=True)
