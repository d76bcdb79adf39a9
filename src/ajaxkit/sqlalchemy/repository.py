"""The SQLAlchemy 2.x repository for model endpoints.

Each operation runs in a session of its own (in an atomic batch: in the
batch's shared session, see :mod:`ajaxkit.sqlalchemy.transactions`), opened from the session source
given at registration (a ``sessionmaker``, a ``scoped_session`` -- whose
factory is used, so the application's thread-local session is never touched --
or any callable returning a ``Session``), inside ``session.begin()``.

Relations load eagerly as the plan asks: many-to-one with ``joinedload``,
to-many with ``selectinload``, so a page costs a constant number of queries.
``IntegrityError`` is translated here, in :meth:`SQLAlchemyRepository.transaction`
only.
"""

from __future__ import annotations

import builtins
import datetime as dt
import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Interval,
    Select,
    SmallInteger,
    String,
    Time,
    TypeDecorator,
    and_,
    case,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import CIDR, HSTORE, INET
from sqlalchemy.dialects.postgresql.ranges import AbstractRange
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    ColumnProperty,
    Mapper,
    RelationshipDirection,
    RelationshipProperty,
    Session,
    joinedload,
    selectinload,
)
from sqlalchemy.orm.strategy_options import _AbstractLoad

from ajaxkit.core.models.bounds import INT16, INT32, INT64
from ajaxkit.core.models.integrity import constraint_violation
from ajaxkit.core.models.query import Filter, ListQuery
from ajaxkit.core.models.repository import FieldInfo, LoadPlan, ModelInfo, register_repository
from ajaxkit.core.transactions import HookFailed
from ajaxkit.exceptions import FieldError, RegistrationError
from ajaxkit.sqlalchemy.transactions import SQLAlchemyTransactions, shared_session

__all__ = ["SQLAlchemyRepository", "handles", "repository"]

SessionSource = Callable[[], Session]

#: Most pks in one ``IN`` list.  Each is a bound parameter, and PostgreSQL
#: takes at most 65,535 in a statement (psycopg binds server-side): a
#: relation holding more rows than that failed every read of its record.
IN_CHUNK = 10_000


def handles(model: Any) -> bool:
    """Whether ``model`` is a mapped class."""
    return inspect(model, raiseerr=False) is not None and isinstance(inspect(model), Mapper)


def repository(model: Any, *, session: Any = None) -> SQLAlchemyRepository:
    """The factory :func:`~ajaxkit.core.models.repository_for` calls."""
    if session is None:
        raise RegistrationError(
            f"Register {model.__name__} with session=<sessionmaker or scoped_session>."
        )
    return SQLAlchemyRepository(model, session)


@dataclass(frozen=True)
class _Mapped:
    """What the repository keeps per model besides its :class:`ModelInfo`."""

    info: ModelInfo
    fk_keys: Mapping[str, str]  # relation name → attribute of its local FK column
    columns: Mapping[str, str]  # column name → field name (for constraint errors)
    instants: frozenset[str] = frozenset()  # DateTime(timezone=True): bound and shown in UTC
    walls: frozenset[str] = frozenset()  # DateTime(): aware values bound as UTC wall time
    seconds_text: frozenset[str] = frozenset()  # SQLite datetimes compared as one format


class SQLAlchemyRepository:
    """A mapped class's persistence through SQLAlchemy sessions."""

    def __init__(self, model: Any, session: Any) -> None:
        self.model = model
        # A scoped_session's own factory gives fresh sessions: an operation
        # never joins (or closes) the application's thread-local session.
        self.session_source: SessionSource = getattr(session, "session_factory", session)
        self.transaction_source = SQLAlchemyTransactions(self.session_source)
        self.dialect = _dialect_name(self.session_source)
        self._mapped: dict[Any, _Mapped] = {}
        self.info = self.describe(model)

    def describe(self, model: Any) -> ModelInfo:
        return self.mapped(model).info

    def mapped(self, model: Any) -> _Mapped:
        found = self._mapped.get(model)
        if found is None:
            found = self._mapped[model] = _describe(model, self.dialect)
        return found

    def scope(self) -> Select[Any]:
        return select(self.model)

    def check_values(self, values: Mapping[str, Any]) -> builtins.list[FieldError]:
        # A mapped column carries no validation rules of its own beyond
        # what the schema already checked from its type.
        return []

    @contextmanager
    def transaction(self, hook_failed: HookFailed) -> Iterator[_Unit]:
        """A session of its own, committed the way an atomic batch commits
        its shared one: an ``after_commit`` listener or callback that raises
        once the COMMIT stood goes to ``hook_failed``, the write stands."""
        own = self.transaction_source.begin()
        try:
            try:
                yield _Unit(self, own.session, own.callbacks)
            except BaseException:
                own.rollback()
                raise
            own.commit(hook_failed)
        except IntegrityError as exc:
            raise constraint_violation(exc.orig, self.mapped(self.model).columns) from exc

    @contextmanager
    def join(self, transaction: Any) -> Iterator[_Unit]:
        """A unit in an atomic batch's shared session: flushed, never committed here."""
        shared = shared_session(transaction)
        try:
            yield _Unit(self, shared.session, shared.callbacks)
            shared.session.flush()
        except IntegrityError as exc:
            raise constraint_violation(exc.orig, self.mapped(self.model).columns) from exc

    @contextmanager
    def reading(self) -> Iterator[_Unit]:
        # Reads write nothing, so nothing is committed: closing the session
        # ends its transaction with a ROLLBACK, and none of the
        # application's after_commit listeners runs (or fails) for a read.
        with self.session_source() as session:
            yield _Unit(self, session, [])


class _Unit:
    """One session in one transaction."""

    def __init__(
        self, repo: SQLAlchemyRepository, session: Session, callbacks: list[Callable[[], None]]
    ) -> None:
        self.repo = repo
        self.session = session
        self.callbacks = callbacks
        self.model = repo.model

    # -- reading ---------------------------------------------------------------

    def list(
        self, scope: Select[Any], query: ListQuery, plan: LoadPlan, *, count: bool
    ) -> tuple[builtins.list[Any], int | None]:
        stmt = scope.where(*self._conditions(query))
        total = None
        if count:
            counted = select(func.count()).select_from(stmt.order_by(None).subquery())
            total = self.session.scalar(counted)
        # The list's ordering replaces the scope's, as Django's order_by()
        # does: appended after it, it decided nothing, and cursors made for
        # it skipped and repeated rows.
        ordered = stmt.order_by(None).order_by(*self._ordering(query))
        ordered = ordered.options(*self._loads(self.model, plan))
        page = ordered.offset(query.offset).limit(query.limit + 1)
        return builtins.list(self.session.scalars(page).unique().all()), total

    def _conditions(self, query: ListQuery) -> builtins.list[ColumnElement[bool]]:
        conditions = [self._condition(f) for f in query.filters]
        if query.search:
            pattern = "%" + _escape_like(query.search) + "%"
            columns = [self._column(name) for name in query.search_fields]
            conditions.append(or_(false(), *(c.ilike(pattern, escape="\\") for c in columns)))
        if query.keyset:
            clauses = [and_(true(), *(self._condition(f) for f in group)) for group in query.keyset]
            conditions.append(or_(false(), *clauses))
        return conditions

    def _condition(self, spec: Filter) -> ColumnElement[bool]:
        column: ColumnElement[Any] = self._compared(spec.field)
        value = self._bindable(spec.field, spec.value)
        if spec.lookup == "exact":
            return column.is_(None) if value is None else column == value
        if spec.lookup == "in":
            return column.in_(value)
        if spec.lookup == "isnull":
            return column.is_(None) if value else column.is_not(None)
        # A parameter of the column's type: SQLAlchemy refuses ``>=`` with a
        # Python bool on its right (``urgent__gte=true``, a cursor over a
        # boolean ordering), though every database orders booleans.
        value = literal(value, column.type)
        compared: ColumnElement[bool]
        if spec.lookup == "gte":
            compared = column >= value
        elif spec.lookup == "lte":
            compared = column <= value
        else:
            compared = column > value if spec.lookup == "gt" else column < value
        return compared

    def _bindable(self, name: str, value: Any) -> Any:
        """``value`` as field ``name``'s column must receive it: datetimes
        in UTC (see :func:`_datetime_kind`)."""
        mapped = self.repo.mapped(self.model)
        if name in mapped.instants:
            convert = _instant
        elif name in mapped.walls:
            convert = _utc_wall_time
        else:
            return value
        if isinstance(value, tuple):
            return tuple(convert(v) for v in value)
        return convert(value)

    def _compared(self, name: str) -> Any:
        """Field ``name``'s column as filters, keysets and orderings compare it.

        SQLite keeps datetimes as text, SQLAlchemy's with microseconds
        (``... 10:00:00.000000``) but a server default's ``CURRENT_TIMESTAMP``
        without (``... 10:00:00``).  Compared as they are, a cursor bound
        never equalled the row it came from: the rows after it in the same
        second were skipped, and a descending walk got the same page again
        forever.  Seconds-only text is compared as the microsecond form.
        """
        column = self._column(name)
        if name not in self.repo.mapped(self.model).seconds_text:
            return column
        text = type_coerce(column, String())
        canonical = case((func.length(text) == _SECONDS_ONLY, text + ".000000"), else_=text)
        return type_coerce(canonical, column.type)

    def _column(self, name: str) -> Any:
        key = self.repo.mapped(self.model).fk_keys.get(name, name)
        return getattr(self.model, key)

    def _ordering(self, query: ListQuery) -> builtins.list[Any]:
        fields = self.repo.info.fields
        terms = []
        for o in query.ordering:
            term = self._compared(o.field).desc() if o.descending else self._compared(o.field).asc()
            if fields[o.field].nullable:
                # NULL after every value, as PostgreSQL sorts it (SQLite
                # sorted it first): the same list on every database.
                term = term.nulls_first() if o.descending else term.nulls_last()
            terms.append(term)
        return terms

    def _loads(self, model: Any, plan: LoadPlan) -> builtins.list[_AbstractLoad]:
        info = self.repo.describe(model)
        options: builtins.list[_AbstractLoad] = [
            selectinload(getattr(model, name)) for name in plan.many
        ]
        for name, sub in plan.expand.items():
            field = info.fields[name]
            attr = getattr(model, name)
            load = joinedload(attr) if field.kind == "fk" else selectinload(attr)
            nested = self._loads(field.related_model, sub)
            options.append(load.options(*nested) if nested else load)
        return options

    def get(self, scope: Select[Any], pk: Any, plan: LoadPlan, *, lock: bool = False) -> Any | None:
        stmt = scope.where(self._column(self.repo.info.pk) == pk).options(
            *self._loads(self.model, plan)
        )
        if lock:
            stmt = stmt.with_for_update(of=self.model)
        return self.session.scalars(stmt).unique().first()

    def reload(self, obj: Any, plan: LoadPlan) -> Any:
        self.session.flush()
        pk = getattr(obj, self.repo.info.pk)
        stmt = select(self.model).where(self._column(self.repo.info.pk) == pk)
        stmt = stmt.options(*self._loads(self.model, plan)).execution_options(
            populate_existing=True
        )
        return self.session.scalars(stmt).unique().one()

    def value(self, obj: Any, field: FieldInfo) -> Any:
        if field.kind == "fk":
            model = type(obj)
            return getattr(obj, self.repo.mapped(model).fk_keys[field.name])
        if field.kind == "many":
            related_pk = self.repo.describe(field.related_model).pk
            return [getattr(row, related_pk) for row in getattr(obj, field.name)]
        value = getattr(obj, field.name)
        if field.name in self.repo.mapped(type(obj)).instants:
            # SQLite answers the stored UTC time without an offset, PostgreSQL
            # in its session's time zone: the same instant, shown alike.
            return _instant(value)
        # psycopg reads inet and cidr as ipaddress objects, which JSON
        # cannot write: the record shows the address as PostgreSQL writes it.
        return str(value) if isinstance(value, _ADDRESSES) else value

    def related(self, obj: Any, field: FieldInfo) -> Any:
        return getattr(obj, field.name)

    def missing(
        self, model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        pk = getattr(model, key or self.repo.describe(model).pk)
        found = {
            p
            for chunk in _chunks(pks)
            for p in self.session.scalars(select(pk).where(pk.in_(chunk)))
        }
        return [p for p in pks if p not in found]

    def find(
        self, scope: Select[Any], model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        pk = getattr(model, key or self.repo.describe(model).pk)
        return [
            row
            for chunk in _chunks(pks)
            for row in self.session.scalars(scope.where(pk.in_(chunk))).unique()
        ]

    # -- writing ---------------------------------------------------------------

    def create(self, values: Mapping[str, Any]) -> Any:
        obj = self.model()
        self._assign(obj, values)
        self.session.add(obj)
        self.session.flush()
        return obj

    def update(self, obj: Any, values: Mapping[str, Any]) -> None:
        self._assign(obj, values)
        self.session.flush()

    def delete(self, obj: Any) -> None:
        self.session.delete(obj)
        self.session.flush()

    def _assign(self, obj: Any, values: Mapping[str, Any]) -> None:
        fields = self.repo.info.fields
        for name, value in values.items():
            field = fields[name]
            if field.kind == "fk":
                setattr(obj, self.repo.mapped(self.model).fk_keys[name], value)
            elif field.kind == "many":
                related = field.related_model
                pk = getattr(related, self.repo.describe(related).pk)
                rows = [
                    row
                    for chunk in _chunks(value)
                    for row in self.session.scalars(select(related).where(pk.in_(chunk)))
                ]
                setattr(obj, name, rows)
            else:
                setattr(obj, name, self._bindable(name, value))

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)


def _instant(value: Any) -> Any:
    """A datetime for a column that keeps instants, in UTC; one without an
    offset is taken as UTC (SQLAlchemy has no current time zone, and
    PostgreSQL would read it in its session's, the server's unless set)."""
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _utc_wall_time(value: Any) -> Any:
    """A datetime for a column without a time zone: an aware one as its UTC
    wall time (PostgreSQL took its session's), one without an offset as given."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- describing mapped classes ----------------------------------------------------


def _dialect_name(source: Any) -> str | None:
    # A sessionmaker keeps its bind in .kw; a plain callable tells nothing.
    bind = getattr(source, "kw", {}).get("bind")
    return getattr(getattr(bind, "dialect", None), "name", None)


def _describe(model: Any, dialect: str | None) -> _Mapped:
    mapper: Mapper[Any] = inspect(model)
    if len(mapper.primary_key) != 1:
        raise RegistrationError(
            f"{model.__name__}: model endpoints need a single-column primary key."
        )
    fk_keys = _fk_keys(mapper)
    hidden = set(fk_keys.values())
    fields: dict[str, FieldInfo] = {}
    columns: dict[str, str] = {}
    instants: set[str] = set()
    walls: set[str] = set()
    seconds: set[str] = set()
    for prop in mapper.attrs:
        if isinstance(prop, ColumnProperty) and prop.key not in hidden:
            fields[prop.key] = _column_field(prop, dialect)
            columns[prop.columns[0].name] = prop.key
            kind = _datetime_kind(prop.columns[0].type)
            if kind is not None:
                (instants if kind == "instant" else walls).add(prop.key)
            if _seconds_text(prop.columns[0].type, dialect):
                seconds.add(prop.key)
        elif isinstance(prop, RelationshipProperty):
            fields[prop.key] = _relation_field(prop, dialect)
    for name, key in fk_keys.items():
        columns[mapper.attrs[key].columns[0].name] = name
    pk = mapper.get_property_by_column(mapper.primary_key[0]).key
    info = ModelInfo(
        model=model,
        resource=str(getattr(model, "__tablename__", model.__name__.lower())),
        pk=pk,
        fields=fields,
    )
    return _Mapped(
        info, fk_keys, columns, frozenset(instants), frozenset(walls), frozenset(seconds)
    )


#: Length of SQLite's ``CURRENT_TIMESTAMP`` text, ``YYYY-MM-DD HH:MM:SS``.
_SECONDS_ONLY = 19


def _seconds_text(column_type: Any, dialect: str | None) -> bool:
    """Whether this column may hold SQLite datetime text in both
    SQLAlchemy's format and ``CURRENT_TIMESTAMP``'s (a custom
    ``storage_format`` is the application's own, and left alone)."""
    stored = _stored_type(column_type)
    if dialect != "sqlite" or not isinstance(stored, DateTime):
        return False
    return getattr(stored, "_storage_format", sqlite.DATETIME._storage_format) == (
        sqlite.DATETIME._storage_format
    )


def _datetime_kind(column_type: Any) -> str | None:
    """``"instant"`` for a ``DateTime(timezone=True)``, ``"wall"`` for a
    ``DateTime()``, ``None`` for any other column: every datetime reaches
    its column in UTC, so each database keeps what was sent.

    SQLAlchemy's SQLite DATETIME writes a datetime's fields and drops its
    offset, so 12:00+02:00 was stored (and compared, and ordered) as 12:00,
    where PostgreSQL stores 10:00 UTC; PostgreSQL read a datetime without an
    offset, and turned an aware one into a ``timestamp``, in its session's
    time zone (the server's), where SQLite kept it as given. A TypeDecorator
    converts values its own way, so it is left to do so.
    """
    if not isinstance(column_type, DateTime) or _decorated(column_type):
        return None
    return "instant" if column_type.timezone else "wall"


def _fk_keys(mapper: Mapper[Any]) -> dict[str, str]:
    keys = {}
    for rel in mapper.relationships:
        if rel.direction is RelationshipDirection.MANYTOONE and len(rel.local_columns) == 1:
            column = next(iter(rel.local_columns))
            keys[rel.key] = mapper.get_property_by_column(column).key
    return keys


def _column_field(prop: ColumnProperty[Any], dialect: str | None) -> FieldInfo:
    column = prop.columns[0]
    python_type = _python_type(column.type)
    generated = bool(
        column.primary_key and column.autoincrement in (True, "auto") and python_type is int
    )
    generated = generated or column.computed is not None
    has_default = column.default is not None or column.server_default is not None
    # An Enum over a Python enum lists its members' names (what it stores by
    # default), but a record shows each member's value: validated as the
    # enum class, a write takes what a read shows and hands SQLAlchemy the
    # member, whatever the column stores.
    enums = None if _enum_class(column.type) else getattr(column.type, "enums", None)
    return FieldInfo(
        name=prop.key,
        python_type=python_type,
        nullable=bool(column.nullable) and not column.primary_key,
        required=not (column.nullable or has_default or generated),
        max_length=getattr(column.type, "length", None),
        choices=tuple(enums) if enums else None,
        primary_key=bool(column.primary_key),
        generated=generated,
        unique=bool(column.unique),
        max_digits=getattr(column.type, "precision", None)
        if python_type.__name__ == "Decimal"
        else None,
        decimal_places=getattr(column.type, "scale", None)
        if python_type.__name__ == "Decimal"
        else None,
        value_range=_int_range(column.type, dialect) or _duration_range(column.type, dialect),
        keeps_offset=_keeps_time_offset(column.type, dialect),
        structured=_structured(column.type),
        # Bytes have no JSON form: the row was stored, its answer a 500.
        opaque="bytes" if python_type is bytes else None,
    )


#: Column types holding more than one plain value, and what they hold.
_STRUCTURED: tuple[tuple[type[Any], str], ...] = (
    (JSON, "JSON"),
    (ARRAY, "arrays"),
    (HSTORE, "key-value pairs"),
    (AbstractRange, "ranges"),
)


def _structured(column_type: Any) -> str | None:
    stored = _stored_type(column_type)
    return next((what for kind, what in _STRUCTURED if isinstance(stored, kind)), None)


def _keeps_time_offset(column_type: Any, dialect: str | None) -> bool:
    """Whether a time column stores a UTC offset: ``Time(timezone=True)``,
    but not on SQLite, whose text drops it."""
    stored = _stored_type(column_type)
    return isinstance(stored, Time) and bool(stored.timezone) and dialect != "sqlite"


#: What psycopg reads an ``inet`` or ``cidr`` as.
_ADDRESSES = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
)


def _address(text: str) -> str:
    """An ``inet`` value: an address, with or without a prefix length
    (``10.0.0.1``, ``10.0.0.1/24``), as PostgreSQL writes it."""
    try:
        if "%" in text:  # a zone (fe80::1%eth0): PostgreSQL takes none
            raise ValueError(text)
        interface = ipaddress.ip_interface(text)
    except ValueError:
        raise PydanticCustomError("ip_address", "Enter a valid IPv4 or IPv6 address") from None
    if interface.network.prefixlen == interface.max_prefixlen:
        return str(interface.ip)
    return interface.with_prefixlen


def _network(text: str) -> str:
    """A ``cidr`` value: a network, no bits set after its prefix
    (``10.0.0.0/8``; an address alone is a network of one)."""
    try:
        if "%" in text:
            raise ValueError(text)
        return ipaddress.ip_network(text).with_prefixlen
    except ValueError:
        raise PydanticCustomError(
            "ip_network", "Enter a valid IPv4 or IPv6 network, no bits set after its prefix"
        ) from None


def _python_type(column_type: Any) -> Any:
    # Checked by the address types' own rules: PostgreSQL refused any other
    # text ("invalid input syntax for type inet"), failing the statement.
    stored = _stored_type(column_type)
    if isinstance(stored, CIDR):
        return Annotated[str, AfterValidator(_network)]
    if isinstance(stored, INET):
        return Annotated[str, AfterValidator(_address)]
    if isinstance(stored, ARRAY):
        return _array_type(stored)
    # A TypeDecorator parses like the type it stores as: without this a
    # filter on a decorated DateTime would hand the database a raw string.
    while _decorated(column_type) and type(column_type).python_type is TypeDecorator.python_type:
        column_type = column_type.impl_instance
    try:
        return column_type.python_type
    except NotImplementedError:
        return Any


def _array_type(column_type: ARRAY[Any]) -> Any:
    """A list (of lists, for each declared dimension) of the item type's
    values, each possibly NULL as in PostgreSQL's arrays: any other item
    failed the statement ("value too long for type character varying")."""
    item = _python_type(column_type.item_type)
    length = getattr(column_type.item_type, "length", None)
    if item is str and length is not None:
        item = Annotated[str, StringConstraints(max_length=length)]
    shape: Any = item | None
    for _ in range(column_type.dimensions or 1):
        shape = list[shape]
    return shape


def _enum_class(column_type: Any) -> Any:
    return getattr(_stored_type(column_type), "enum_class", None)


def _decorated(column_type: Any) -> bool:
    return isinstance(column_type, TypeDecorator)


def _stored_type(column_type: Any) -> Any:
    while _decorated(column_type):
        column_type = column_type.impl_instance
    return column_type


def _int_range(column_type: Any, dialect: str | None) -> tuple[int, int] | None:
    """The range an integer column stores: SQLite stores 64 bits in any
    integer column; elsewhere the SQL type decides."""
    column_type = _stored_type(column_type)
    if not isinstance(column_type, Integer):
        return None
    if dialect == "sqlite" or isinstance(column_type, BigInteger):
        return INT64
    return INT16 if isinstance(column_type, SmallInteger) else INT32


#: An ``Interval`` where the database has no interval type is a datetime
#: this far after the epoch, and a datetime holds the years 1 to 9999.
_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
_EPOCH_RANGE = (
    (dt.datetime.min - _EPOCH) // _MICROSECOND,
    (dt.datetime.max - _EPOCH) // _MICROSECOND,
)


def _duration_range(column_type: Any, dialect: str | None) -> tuple[int, int] | None:
    """The microseconds an ``Interval`` column stores: any ``timedelta``
    where the database has an interval type (PostgreSQL, Oracle)."""
    # Interval is itself a TypeDecorator (over DateTime): unwrap down to it only.
    while _decorated(column_type) and not isinstance(column_type, Interval):
        column_type = column_type.impl_instance
    if not isinstance(column_type, Interval) or dialect is None:
        return None
    native = column_type.native and dialect in ("postgresql", "oracle")
    return None if native else _EPOCH_RANGE


def _relation_field(rel: RelationshipProperty[Any], dialect: str | None) -> FieldInfo:
    target = rel.mapper
    pk_type = _python_type(target.primary_key[0].type)
    pk_range = _int_range(target.primary_key[0].type, dialect)
    if rel.direction is RelationshipDirection.MANYTOONE:
        columns = builtins.list(rel.local_columns)
        nullable = all(c.nullable for c in columns)
        has_default = any(c.default is not None or c.server_default is not None for c in columns)
        referenced = rel.local_remote_pairs[0][1] if rel.local_remote_pairs else None
        related_key = None
        if referenced is not None and not referenced.primary_key and len(columns) == 1:
            # A foreign key to another unique column: it holds that column's values.
            related_key = target.get_property_by_column(referenced).key
            pk_type = _python_type(referenced.type)
            pk_range = _int_range(referenced.type, dialect)
        return FieldInfo(
            name=rel.key,
            kind="fk",
            python_type=pk_type,
            nullable=nullable,
            required=not (nullable or has_default),
            related_model=target.class_,
            value_range=pk_range,
            related_key=related_key,
        )
    return FieldInfo(
        name=rel.key,
        kind="many",
        python_type=pk_type,
        related_model=target.class_,
        writable=rel.direction is RelationshipDirection.MANYTOMANY and not rel.viewonly,
        value_range=pk_range,
    )


def _chunks(pks: Sequence[Any]) -> Iterator[builtins.list[Any]]:
    """``pks``, each once, in slices of at most :data:`IN_CHUNK` (none for no pks).

    Each once: one ``IN`` list matched a repeated pk once, and rows found in
    two slices would be linked twice.
    """
    distinct = builtins.list(dict.fromkeys(pks))
    for start in range(0, len(distinct), IN_CHUNK):
        yield distinct[start : start + IN_CHUNK]


# Importing this module is what makes ``api.model()`` store these models here;
# a fallback, so an application's own registration wins.
register_repository(handles, repository, fallback=True)
