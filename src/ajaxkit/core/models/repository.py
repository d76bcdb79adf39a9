"""The seam each ORM implements: :class:`Repository` and the values it trades in.

The core never imports an ORM.  Everything it needs to know about a model
(its fields, primary key, relations) comes from :meth:`Repository.describe`
as plain :class:`ModelInfo` values, and every database operation goes
through a :class:`Unit` (one transaction) opened by
:meth:`Repository.transaction`.  ORM objects are opaque to the core: it only
hands them back to the unit (to read values, follow relations, write) or to
the endpoint's permission hooks.

Repositories are chosen by the model's type through a registry of
factories (:func:`register_repository`); the built-in Django and SQLAlchemy
repositories are found by module name and imported only when a model of
theirs is registered.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ajaxkit.core.registration_checks import check_factory_options
from ajaxkit.exceptions import FieldError

__all__ = [
    "ConstraintViolation",
    "FieldInfo",
    "FieldKind",
    "LoadPlan",
    "ModelInfo",
    "Repository",
    "RepositoryFactory",
    "Unit",
    "register_repository",
    "repository_for",
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

    def missing(self, model: Any, pks: Sequence[Any]) -> builtins.list[Any]:
        """Which of ``pks`` name no row of ``model`` (to check relations)."""
        ...

    def find(self, scope: Any, model: Any, pks: Sequence[Any]) -> builtins.list[Any]:
        """The rows of ``scope`` (another endpoint's ``get_queryset``, over
        ``model``) whose pk is one of ``pks``: relation checks through the
        related endpoint's scope."""
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

    def transaction(self) -> AbstractContextManager[Unit]:
        """Open a transaction; commit on a clean exit, roll back otherwise,
        then run the ``on_commit`` callbacks."""
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


#: ``factory(model, **options) -> Repository``.
RepositoryFactory = Callable[..., Repository]
Detector = Callable[[Any], bool]

_FACTORIES: list[tuple[Detector, RepositoryFactory]] = []
# Built in, imported by name only when a model of that ORM shows up, so the
# core never imports an ORM: (module prefix of the model's classes, module
# that provides ``handles(model)`` and ``repository(model, **options)``).
_BUILTIN = (
    ("django.", "ajaxkit.django.repository"),
    ("sqlalchemy.", "ajaxkit.sqlalchemy"),
)


def register_repository(detect: Detector, factory: RepositoryFactory) -> None:
    """Use ``factory`` for models where ``detect(model)`` is true.

    Later registrations win, so applications can override the built-ins.
    """
    _FACTORIES.insert(0, (detect, factory))


def repository_for(model: Any, **options: Any) -> Repository:
    """The repository for ``model``, built by the first factory that handles it."""
    factory = _factory_for(model)
    check_factory_options(model, factory, options)
    return factory(model, **options)


def _factory_for(model: Any) -> RepositoryFactory:
    for detect, factory in _FACTORIES:
        if detect(model):
            return factory
    for prefix, module_name in _BUILTIN:
        if any(m.startswith(prefix) for m in _modules_of(model)):
            module = importlib.import_module(module_name)
            if module.handles(model):
                return module.repository  # type: ignore[no-any-return]
    raise TypeError(f"No repository knows how to store {model!r}; pass repository=.")


def _modules_of(model: Any) -> Iterator[str]:
    classes = [*getattr(model, "__mro__", ()), *type(model).__mro__]
    return (getattr(cls, "__module__", "") or "" for cls in classes)
