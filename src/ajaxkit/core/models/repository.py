"""The seam each ORM implements: :class:`Repository` and the values it trades in.

The core never imports an ORM.  Everything it needs to know about a model
(its fields, primary key, relations) comes from :meth:`Repository.describe`
as plain :class:`ModelInfo` values, and every database operation goes
through a :class:`Unit` (one transaction) opened by
:meth:`Repository.transaction`.  ORM objects are opaque to the core: it only
hands them back to the unit (to read values, follow relations, write) or to
the endpoint's permission hooks.

Repositories are chosen by the model's type through a registry of
factories (:func:`register_repository`).  An ORM integration registers its
factory when it is imported; :func:`register_repository_module` tells the
core which module to import the first time a model of some ORM shows up, so
``api.model(Note, session=...)`` needs no import of the integration and
importing ajaxkit never imports an ORM.  The core itself names no ORM and
no integration: the package root declares the ones that ship with ajaxkit.
"""

from __future__ import annotations

import builtins
import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ajaxkit.core.registration_checks import check_factory_options
from ajaxkit.core.transactions import HookFailed, TransactionSource
from ajaxkit.exceptions import FieldError, RegistrationError

__all__ = [
    "ConstraintViolation",
    "FieldInfo",
    "FieldKind",
    "JoinableRepository",
    "LoadPlan",
    "ModelInfo",
    "Repository",
    "RepositoryFactory",
    "Unit",
    "register_repository",
    "register_repository_module",
    "repository_for",
    "transaction_source",
]

#: ``scalar``: a column; ``fk``: a many-to-one relation, written and shown as
#: the related pk; ``many``: a to-many relation (many-to-many or reverse
#: foreign key), shown as a list of pks; only ``many`` fields with
#: ``writable_relation`` (many-to-many) can be written.
FieldKind = Literal["scalar", "fk", "many"]


@dataclass(frozen=True)
class FieldInfo:
    """What validation, filtering and serialization need to know of one field.

    Attributes:
        name: the field's name on the wire and on the model.
        kind: see :data:`FieldKind`.
        python_type: the Python type of the value (for relations: of the
            related primary key).
        nullable: ``None`` is a valid value.
        required: a create must supply it (no default, not nullable).
        max_length: longest accepted string, if limited.
        choices: the accepted values, if limited.
        primary_key: this is the model's primary key.
        generated: the database or the ORM fills it (auto pk, ``auto_now``);
            never written by clients.
        unique: a unique constraint covers this field alone.
        related_model: the model a relation points to.
        writable: a relation that can be written by pk (false for reverse
            relations).
        max_digits: for decimals, the most digits.
        decimal_places: for decimals, the most digits after the point.
        value_range: for integers (and relations to integer pks), the
            inclusive range the column stores on this database; ``None``
            means signed 64-bit (see :mod:`ajaxkit.core.models.bounds`).
            For durations, the range in microseconds; ``None`` means any
            ``timedelta``.
        keeps_offset: for times of day, the column stores a UTC offset
            (SQLAlchemy's ``Time(timezone=True)``); other time columns take
            none.
        opaque: what the field holds when JSON cannot carry it
            (``"bytes"``, ``"files"``): such a field cannot be shown, and an
            endpoint exposing it is refused at registration; ``None`` otherwise.
        related_key: for a many-to-one relation referring to a unique
            field other than the related primary key (Django's
            ``to_field``): that field's name.  The relation's values (shown,
            written, filtered, and ``python_type``) are then that field's;
            ``None`` when it refers to the pk.
        structured: what the column holds when it is more than one plain
            value (``"JSON"``, ``"arrays"``, ``"key-value pairs"``,
            ``"ranges"``): no filter or ordering can compare it with a
            query-string value; ``None`` for plain values.
    """

    name: str
    kind: FieldKind = "scalar"
    python_type: Any = str
    nullable: bool = False
    required: bool = False
    max_length: int | None = None
    choices: tuple[Any, ...] | None = None
    primary_key: bool = False
    generated: bool = False
    unique: bool = False
    related_model: Any = None
    writable: bool = True
    max_digits: int | None = None
    decimal_places: int | None = None
    value_range: tuple[int, int] | None = None
    keeps_offset: bool = False
    structured: str | None = None
    related_key: str | None = None
    opaque: str | None = None

    @property
    def is_relation(self) -> bool:
        return self.kind != "scalar"


@dataclass(frozen=True)
class ModelInfo:
    """A model as the core sees it.

    Attributes:
        model: the ORM's model class.
        resource: the default resource name (unique and readable, such as
            ``app_label/model_name`` on Django, the table name on SQLAlchemy).
        pk: the name of the primary key field.
        fields: every field by name, in declaration order.
    """

    model: Any
    resource: str
    pk: str
    fields: Mapping[str, FieldInfo]

    @property
    def pk_field(self) -> FieldInfo:
        return self.fields[self.pk]


@dataclass(frozen=True)
class LoadPlan:
    """Which relations to load with the rows, so serialization issues no
    further queries.

    Attributes:
        many: to-many fields of the model shown as pk lists (prefetched).
        expand: relation name → the plan for the related rows.
    """

    many: frozenset[str] = frozenset()
    expand: Mapping[str, LoadPlan] = field(default_factory=dict)


class ConstraintViolation(Exception):
    """A write broke a database constraint; repositories raise this, never the
    driver's error.

    Attributes:
        kind: ``"unique"``, ``"foreign_key"``, ``"not_null"`` or ``"check"``
            (``"unknown"`` when the database did not say).
        fields: the fields involved, when the repository could tell.
    """

    def __init__(self, kind: str, fields: Sequence[str] = (), message: str = "") -> None:
        self.kind = kind
        self.fields = tuple(fields)
        super().__init__(message or f"{kind} constraint violated on {', '.join(fields) or '?'}")


class Unit(Protocol):
    """One open transaction of a repository.

    Every method may only be used inside the ``with`` block that opened it;
    leaving the block with an exception rolls everything back.  Filters,
    ordering and keyset clauses come in the neutral form of
    :mod:`ajaxkit.core.models.query`.
    """

    def list(
        self, scope: Any, query: Any, plan: LoadPlan, *, count: bool
    ) -> tuple[list[Any], int | None]:
        """The rows of ``scope`` matching ``query`` (a
        :class:`~ajaxkit.core.models.query.ListQuery`), at most
        ``query.limit + 1`` of them (the extra one tells whether there is a
        next page), and the number of matching rows when ``count``."""
        ...

    def get(self, scope: Any, pk: Any, plan: LoadPlan, *, lock: bool = False) -> Any | None:
        """The row of ``scope`` with primary key ``pk``, or ``None``;
        ``lock`` holds a row lock until the transaction ends."""
        ...

    def create(self, values: Mapping[str, Any]) -> Any:
        """Insert a row (relations given by pk) and return it, flushed."""
        ...

    def update(self, obj: Any, values: Mapping[str, Any]) -> None:
        """Change ``obj`` (relations given by pk) and flush."""
        ...

    def delete(self, obj: Any) -> None:
        """Delete ``obj`` and flush."""
        ...

    def missing(
        self, model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        """Which of ``pks`` name no row of ``model`` (to check relations);
        with ``key``, values of that unique field rather than pks (a
        relation's :attr:`FieldInfo.related_key`)."""
        ...

    def find(
        self, scope: Any, model: Any, pks: Sequence[Any], *, key: str | None = None
    ) -> builtins.list[Any]:
        """The rows of ``scope`` (another endpoint's ``get_queryset``, over
        ``model``) whose pk (or ``key`` field) is one of ``pks``: relation
        checks through the related endpoint's scope."""
        ...

    def value(self, obj: Any, field: FieldInfo) -> Any:
        """The field's value: scalars as they are, ``fk`` as the related pk,
        ``many`` as a list of pks (loaded by the plan)."""
        ...

    def related(self, obj: Any, field: FieldInfo) -> Any:
        """The related row (``fk``, or ``None``) or rows (``many``)."""
        ...

    def reload(self, obj: Any, plan: LoadPlan) -> Any:
        """``obj`` again with ``plan`` loaded (after a write)."""
        ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never on
        rollback)."""
        ...


class Repository(Protocol):
    """A model's persistence, implemented once per ORM."""

    info: ModelInfo

    def describe(self, model: Any) -> ModelInfo:
        """The :class:`ModelInfo` of any model of this ORM (related models)."""
        ...

    def scope(self) -> Any:
        """Every row: the ORM's own base query (a Django ``QuerySet``, a
        SQLAlchemy ``Select``) that ``get_queryset`` may narrow."""
        ...

    def check_values(self, values: Mapping[str, Any]) -> builtins.list[FieldError]:
        """Errors the ORM's own field rules find in validated client
        ``values`` (Django: ``blank``, field validators), each pointing at
        its field; empty when the ORM has no such rules."""
        ...

    def transaction(self, hook_failed: HookFailed) -> AbstractContextManager[Unit]:
        """Open a transaction; commit on a clean exit, roll back otherwise,
        then run the ``on_commit`` callbacks.

        Raises only when nothing was committed.  Once the commit stood,
        whatever raises after it (an ``on_commit`` callback, the ORM's own
        after-commit hooks the application registered) is passed to
        ``hook_failed``, and the callbacks after it still run: the write's
        answer is the committed one (rule P8).
        """
        ...

    def reading(self) -> AbstractContextManager[Unit]:
        """A unit for reads only (lists and single records): no writes, no
        row locks, no ``on_commit``.

        A repository may run it outside any transaction, as the Django one
        does in autocommit mode: a read then costs no ``BEGIN``/``COMMIT``
        round trips, like a plain view's.  Nothing is lost on PostgreSQL,
        whose default READ COMMITTED gives each statement its own snapshot
        inside a transaction too; a list's ``count`` may therefore describe
        a slightly different moment than its rows, as with any paginator.
        """
        ...


class JoinableRepository(Repository, Protocol):
    """A repository whose operations can join an atomic batch's transaction
    (see :mod:`ajaxkit.core.transactions`); both shipped ORMs' are.

    Attributes:
        transaction_source: the database this repository's rows live in.
    """

    @property
    def transaction_source(self) -> TransactionSource: ...

    def join(self, transaction: Any) -> AbstractContextManager[Unit]:
        """A unit inside ``transaction`` (begun by :attr:`transaction_source`):
        its writes are flushed, not committed, and its ``on_commit``
        callbacks wait for that transaction's commit (none on rollback).
        Leaving the block with an exception leaves the rollback to the
        batch, which rolls everything back."""
        ...


def transaction_source(repository: Repository) -> TransactionSource | None:
    """The database ``repository`` joins atomic batches on, or ``None`` when
    it cannot join one (its endpoints are then refused in atomic batches)."""
    if not callable(getattr(repository, "join", None)):
        return None
    source: TransactionSource | None = getattr(repository, "transaction_source", None)
    return source


#: ``factory(model, **options) -> Repository``.
RepositoryFactory = Callable[..., Repository]
Detector = Callable[[Any], bool]

_FACTORIES: list[tuple[Detector, RepositoryFactory]] = []
_FALLBACKS: list[tuple[Detector, RepositoryFactory]] = []
# Top-level package of an ORM's classes -> the module whose import registers
# that ORM's repository; filled by register_repository_module.
_MODULES: dict[str, str] = {}


def register_repository(
    detect: Detector, factory: RepositoryFactory, *, fallback: bool = False
) -> None:
    """Use ``factory`` for models where ``detect(model)`` is true.

    Later registrations win.  ``fallback`` registrations (how ajaxkit's own
    ORM integrations register) are consulted only after every other one, so
    an application's registration wins whenever it was made.
    """
    if fallback:
        _FALLBACKS.append((detect, factory))
    else:
        _FACTORIES.insert(0, (detect, factory))


def register_repository_module(orm_package: str, module: str) -> None:
    """Import ``module`` the first time a model whose classes come from the
    top-level package ``orm_package`` has no repository; importing it must
    :func:`register_repository` one."""
    _MODULES[orm_package] = module


def repository_for(model: Any, **options: Any) -> Repository:
    """The repository for ``model``, built by the first factory that handles it.

    Raises:
        RegistrationError: no registered factory handles ``model``, even
            after importing the module declared for its ORM, or ``options``
            name a keyword the factory does not take (a ``TypeError``).
    """
    factory = _factory_for(model)
    if factory is None:
        for module in _modules_for(model):
            importlib.import_module(module)
        factory = _factory_for(model)
    if factory is None:
        raise RegistrationError(_unknown_model(model))
    check_factory_options(model, factory, options)
    return factory(model, **options)


def _factory_for(model: Any) -> RepositoryFactory | None:
    for detect, factory in (*_FACTORIES, *_FALLBACKS):
        if detect(model):
            return factory
    return None


def _modules_for(model: Any) -> list[str]:
    """The declared modules for the ORMs ``model``'s classes come from, not yet imported."""
    packages = dict.fromkeys(_packages_of(model))
    modules = (_MODULES.get(package) for package in packages)
    return [m for m in modules if m is not None and m not in sys.modules]


def _packages_of(model: Any) -> list[str]:
    # The model's own classes and its metaclass: a mapped class's base
    # (or metaclass) comes from its ORM's package.
    classes = [*getattr(model, "__mro__", ()), *type(model).__mro__]
    modules = (getattr(cls, "__module__", "") or "" for cls in classes)
    return [m.partition(".")[0] for m in modules if m]


def _unknown_model(model: Any) -> str:
    name = getattr(model, "__qualname__", None) or f"a {type(model).__qualname__}"
    packages = [p for p in dict.fromkeys(_packages_of(model)) if p != "builtins"]
    tried = [(p, _MODULES[p]) for p in packages if p in _MODULES]
    if tried:
        package, module = tried[0]
        return (
            f"No repository knows how to store {name}: it comes from {package}, but "
            f"{module} (which stores {package} models) does not handle it. "
            "Pass a mapped model class, or pass repository=."
        )
    return (
        f"No repository knows how to store {name} (classes from "
        f"{', '.join(packages) or 'nowhere'}). Import the package that registers a "
        "repository for its ORM (see ajaxkit.core.models.register_repository), "
        "or pass repository=."
    )
