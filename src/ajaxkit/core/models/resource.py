"""The operations behind a model's routes, written once for every ORM and profile.

:class:`ModelResource` binds a :class:`ModelEndpoint` to its repository and
exposes each operation with parsed inputs (``list(request, query)``,
``update(request, pk, data, partial=...)``), so another wire grammar (the
django-ajax compatibility profile) can reuse them; :mod:`.routes` adds the
modern profile's routes on top.

Every operation: authenticate (401) → validate a create's or update's body
(422, before any row is read) → scope the row (404) → ``can_*`` (403) →
preconditions (412/428) → write in one transaction (constraint violations
409/422) → after-commit hooks.  Once the write has
committed its answer is fixed: a hook or observer that raises is logged
(with an error id) and the next one still runs.  An operation calls
all of its hooks on one copy of the endpoint bound to its request
(:meth:`ModelEndpoint.bind`), where ``self.request`` is that request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeGuard, cast

from ajaxkit.core.callbacks import is_async_callable
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.core.errors import log_after_commit, run_after_commit
from ajaxkit.core.fielderrors import field_error
from ajaxkit.core.models.bounds import storable_pk
from ajaxkit.core.models.cursor import CursorCodec, SecretSource
from ajaxkit.core.models.endpoint import UNIT_KEY, ActionSpec, Change, ModelEndpoint
from ajaxkit.core.models.etag import check_if_match, record_etag, representation_etag
from ajaxkit.core.models.limits import QueryLimits
from ajaxkit.core.models.query import (
    Expand,
    ListQuery,
    Order,
    QueryRules,
    convert_value,
    cursor_allowed,
)
from ajaxkit.core.models.repository import (
    ConstraintViolation,
    FieldInfo,
    JoinableRepository,
    Unit,
    transaction_source,
)
from ajaxkit.core.models.scope import ResourceLookup, VisibleUnit, resolve, unreachable
from ajaxkit.core.models.validation import WriteSchema
from ajaxkit.core.models.view import View, ViewLookup, parse_expand, plan_for, serialize
from ajaxkit.core.steps import SAFE_METHODS
from ajaxkit.core.transactions import transactions_of
from ajaxkit.exceptions import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    RegistrationError,
    ServerError,
    ValidationFailed,
)
from ajaxkit.types import AjaxRequest

__all__ = ["ModelResource", "Page", "Record"]


_READ_ONLY_ADVICE = "write read_only = ('field', ...) on the endpoint"

#: Endpoint attributes of Django REST framework and django-ninja, as their
#: users write them on a ModelEndpoint, and what ajaxkit has instead.
#: Ignored, they failed open: ``exclude = ("password",)`` showed every field,
#: the password hash too, and ``read_only_fields`` left its fields writable.
_FOREIGN_ATTRIBUTES = {
    "exclude": (
        "list the fields to show in fields=('id', ...); a field left out is "
        "neither shown nor written"
    ),
    "read_only_fields": _READ_ONLY_ADVICE,
    "extra_kwargs": _READ_ONLY_ADVICE,
    "Meta": (
        "set fields, read_only and the others as attributes of the endpoint class "
        "itself; the model is api.model's first argument"
    ),
    "permission_classes": (
        "override authenticate(request) and the hooks can_list, can_get, "
        "can_create, can_update and can_delete"
    ),
    "authentication_classes": "override authenticate(request)",
    "filterset_fields": "write filter_fields = ('field', ...)",
    "filter_backends": "name the fields in filter_fields, search_fields and ordering_fields",
    "pagination_class": "set default_limit and max_limit",
    "page_size": "set default_limit (and max_limit)",
    "lookup_field": "records are found by their pk, the route's {pk}",
    "http_method_names": "write operations = ('list', 'get', ...)",
    "serializer_class": "fields and read_only describe the records",
}


def _check_foreign_attributes(label: str, endpoint: type[ModelEndpoint]) -> None:
    for attr, advice in _FOREIGN_ATTRIBUTES.items():
        if hasattr(endpoint, attr):
            raise RegistrationError(
                f"{label}.{attr} is not an ajaxkit attribute and would be ignored; {advice}."
            )


#: The methods the model layer calls as plain functions, in its worker
#: thread on an async server.
_HOOKS = (
    "authenticate",
    "get_queryset",
    "can_list",
    "can_get",
    "can_create",
    "can_update",
    "can_delete",
    "prepare",
    "created",
    "updated",
    "deleted",
)


def _check_sync_hooks(label: str, endpoint: type[ModelEndpoint]) -> None:
    """Called as a function, an ``async def`` hook's coroutine was its
    answer, never awaited: ``can_update``'s was true (every update allowed),
    ``created``'s never ran, an action's was a 500."""
    actions = [
        attr
        for attr in dir(endpoint)
        if getattr(getattr(endpoint, attr, None), "_ajaxkit_action", None) is not None
    ]
    for attr in (*_HOOKS, *actions):
        if is_async_callable(getattr(endpoint, attr)):
            raise RegistrationError(
                f"{label}.{attr} is an async def; model endpoint hooks and actions are "
                "called as plain functions (in a worker thread on an async server, "
                "with the ORM's connection), so write it as a plain def."
            )


@dataclass(frozen=True)
class Record:
    """One record as answered: its representation, pk and ETag.

    ``etag`` tags the representation (expansion included); ``version`` is
    the record's own tag, the one a write's ``If-Match`` is checked against.
    They are the same when nothing is expanded.
    """

    data: dict[str, Any]
    pk: Any
    etag: str
    version: str


@dataclass(frozen=True)
class Page:
    """One page of a list: ``count`` is ``None`` on cursor pages."""

    results: list[dict[str, Any]]
    count: int | None
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "next_cursor": self.next_cursor, "results": self.results}


class ModelResource:
    """A registered model: endpoint hooks + repository + derived rules.

    Args:
        endpoint: the user's endpoint instance.
        name: the resource name (route prefix).
        lookup: finds the view of another registered model (for expand).
        encoder: returns the current JSON encoder (for hash ETags).
        resources: finds the resource of another registered model (to
            scope relations through its endpoint); none: relations are
            not scoped.
        secret: returns the key cursors are signed with, or the keys they
            are checked with, oldest first and the signing one last (none:
            a key per process).
        logger_name: returns the logger failures of after-commit work are
            reported to (none: ``"ajaxkit"``, the settings' default).
    """

    def __init__(
        self,
        endpoint: ModelEndpoint,
        name: str,
        lookup: ViewLookup,
        encoder: Callable[[], JSONEncoder],
        *,
        resources: ResourceLookup | None = None,
        secret: SecretSource | None = None,
        logger_name: Callable[[], str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.logger_name: Callable[[], str] = logger_name or (lambda: "ajaxkit")
        self.resources: ResourceLookup = resources or (lambda model: None)
        self.secret = secret
        self.name = name
        self.lookup = lookup
        self.encoder = encoder
        self.repository = endpoint.repository
        self.info = endpoint.info
        self._check_declarations()
        self.view = View(self.info, tuple(self._shown(n) for n in self._exposed_names()))
        self.schema = WriteSchema.build(
            type(endpoint).__name__,
            self._writable(),
            self._read_only(),
            endpoint.unknown_fields,
            max_relation_values=endpoint.max_relation_values,
        )
        self.rules = self._rules()
        self.actions: dict[str, ActionSpec] = type(endpoint).actions()
        #: Called as ``observer(request, change)`` after each committed change,
        #: after the endpoint's own hook (live updates subscribe here).  One
        #: that raises is logged; the others still run.
        self.observers: list[Callable[[AjaxRequest, Change], None]] = []

    # -- derived at registration ---------------------------------------------

    #: The endpoint attributes that list field names.
    _NAME_LISTS = (
        "fields",
        "read_only",
        "search_fields",
        "filter_fields",
        "ordering_fields",
        "ordering",
    )

    def _check_declarations(self) -> None:
        """The endpoint's plain attributes say what they seem to say.

        ``read_only = ("title")`` is a string, read letter by letter: it made
        nothing read-only.  A misspelt ``read_only`` name left its field
        writable, and an unknown ``version_field`` made every write a 500.
        """
        endpoint = self.endpoint
        label = type(endpoint).__name__
        _check_foreign_attributes(label, type(endpoint))
        _check_sync_hooks(label, type(endpoint))
        for attr in self._NAME_LISTS:
            value = getattr(endpoint, attr)
            if attr == "fields" and value == "__all__":  # Django REST framework's way
                raise RegistrationError(
                    f"{label}.fields = '__all__' is not an ajaxkit value; leave fields "
                    f"out (None) to show every field, or list them: ('id', ...)."
                )
            if isinstance(value, str):
                raise RegistrationError(
                    f"{label}.{attr} must be a tuple of field names such as ({value!r},), "
                    f"not the string {value!r} (a tuple of one needs its comma)."
                )
        named = [("read_only", name) for name in endpoint.read_only]
        if endpoint.version_field is not None:
            named.append(("version_field", endpoint.version_field))
        for attr, name in named:
            if name not in self.info.fields:
                raise RegistrationError(
                    f"{label}.{attr}: {name!r} is not a field of {self.info.resource}."
                )
        if endpoint.unknown_fields not in ("reject", "ignore"):
            raise RegistrationError(
                f"{label}.unknown_fields must be 'reject' or 'ignore', "
                f"not {endpoint.unknown_fields!r}."
            )
        _check_page_limits(label, endpoint.default_limit, endpoint.max_limit)

    def _exposed_names(self) -> list[str]:
        declared = self.endpoint.fields
        return list(declared) if declared is not None else list(self.info.fields)

    def _field(self, name: str) -> FieldInfo:
        info = self.info.fields.get(name)
        if info is None:
            raise RegistrationError(
                f"{type(self.endpoint).__name__}: {name!r} is not a field of {self.info.resource}."
            )
        return info

    def _shown(self, name: str) -> FieldInfo:
        """Field ``name``, if a record can show it.

        Bytes and files have no JSON form to choose for every application:
        a row holding one was stored, then its answer and every read of it
        failed to encode, a 500.
        """
        info = self._field(name)
        if info.opaque is not None:
            label = type(self.endpoint).__name__
            how = "leave it out of" if self.endpoint.fields is not None else "list the others in"
            raise RegistrationError(
                f"{label}: {name!r} holds {info.opaque}, which a JSON record cannot "
                f"carry; {how} {label}.fields and serve it from a view of its own."
            )
        return info

    def _writable(self) -> list[FieldInfo]:
        read_only = set(self.endpoint.read_only)
        version = self.endpoint.version_field
        return [
            f
            for f in self.view.fields
            if f.name not in read_only and f.name != version and not f.generated and f.writable
        ]

    def _read_only(self) -> set[str]:
        writable = {f.name for f in self._writable()}
        return {f.name for f in self.view.fields} - writable

    def _rules(self) -> QueryRules:
        ep = self.endpoint
        filters = self._checked(ep.filter_fields, "filter_fields", lambda f: f.kind != "many")
        ordering = self._checked(
            ep.ordering_fields, "ordering_fields", lambda f: f.kind == "scalar"
        )
        search = self._checked(
            ep.search_fields, "search_fields", lambda f: f.kind == "scalar" and f.python_type is str
        )
        default = [Order(o.removeprefix("-"), o.startswith("-")) for o in ep.ordering]
        self._checked([o.field for o in default], "ordering", lambda f: True)
        return QueryRules(
            fields=self.info.fields,
            pk=self.info.pk,
            filter_fields=frozenset(filters),
            search_fields=tuple(search),
            ordering_fields=frozenset(ordering) | {self.info.pk},
            default_ordering=tuple(default),
            default_limit=ep.default_limit,
            max_limit=ep.max_limit,
            expand=self.parse_expand,
            shown=frozenset(f.name for f in self.view.fields),
            limits=QueryLimits(
                max_search_length=ep.max_search_length,
                max_ordering_terms=ep.max_ordering_terms,
                max_filter_values=ep.max_filter_values,
                max_filter_length=ep.max_filter_length,
            ),
            cursors=CursorCodec(self.name, self.secret),
        )

    def _checked(self, names: Any, attr: str, ok: Callable[[FieldInfo], bool]) -> list[str]:
        endpoint = type(self.endpoint).__name__
        for name in names:
            info = self._field(name)
            if info.structured is not None and attr != "search_fields":
                # A document or a list compared with one query-string value
                # failed in the database ("operator does not exist: jsonb =
                # character varying"): a 500 for whatever a client sent.
                raise RegistrationError(
                    f"{endpoint}.{attr}: {name!r} holds {info.structured}, which a "
                    "query-string value cannot compare with; leave it out."
                )
            if not ok(info):
                raise RegistrationError(f"{endpoint}.{attr}: {name!r} is not usable there.")
            if self.view.field(name) is None:
                # Filtering, ordering or searching on a column the records
                # do not show answers questions about it: email__gte=m, or
                # where a row lands in an ordering, reveals it by probing.
                raise RegistrationError(
                    f"{endpoint}.{attr}: {name!r} is not in {endpoint}.fields; "
                    "a field clients cannot see cannot be queried either."
                )
        return list(names)

    def parse_expand(self, raw: str) -> Expand:
        return parse_expand(raw, self.view, self.lookup, self.endpoint.max_expand_depth)

    # -- helpers ---------------------------------------------------------------

    def convert_pk(self, raw: str) -> Any:
        """The pk from its text form, or 400/422 pointing at ``pk``."""
        try:
            pk = convert_value("pk", self.info.pk_field.python_type, raw)
        except Exception as exc:
            errors: list[FieldError] = [
                {
                    "parameter": "pk",
                    "detail": f"{raw!r} is not a valid primary key.",
                    "code": "invalid_pk",
                }
            ]
            raise ValidationFailed(errors) from exc
        if not storable_pk(self.info.pk_field, pk):
            # Well-formed, but no row can have it: as missing as any other.
            raise NotFound(f"No {self.name} with pk {pk!r}.")
        return pk

    def serialize(self, unit: Unit, obj: Any, expand: Expand) -> dict[str, Any]:
        return serialize(unit, obj, self.view, expand, self.lookup)

    def etag(self, unit: Unit, obj: Any) -> str:
        version = self.endpoint.version_field
        if version is not None:
            return f'"v{unit.value(obj, self.info.fields[version])}"'
        return record_etag(self.serialize(unit, obj, {}), self.encoder(), None)

    def _record(self, unit: Unit, obj: Any, expand: Expand) -> Record:
        data = self.serialize(unit, obj, expand)
        version = self.etag(unit, obj)
        # Expanded rows are not in the record's own tag: without a tag of its
        # own, a conditional GET would answer 304 over related rows changed.
        etag = representation_etag(version, data, self.encoder()) if expand else version
        return Record(data, unit.value(obj, self.info.pk_field), etag, version)

    def _fetch(
        self, unit: Unit, endpoint: ModelEndpoint, pk: Any, expand: Expand, lock: bool
    ) -> Any:
        plan = plan_for(self.view, expand, self.lookup)
        obj = unit.get(endpoint.get_queryset(endpoint.request), pk, plan, lock=lock)
        if obj is None:
            raise NotFound(f"No {self.name} with pk {pk!r}.")
        return obj

    def _allow(self, allowed: bool) -> None:
        if not allowed:
            raise Forbidden()

    def _visible(self, unit: Unit, request: AjaxRequest, rows: Any, expand: Expand) -> Unit:
        """``unit`` showing only the related rows the request may see."""
        visibility = resolve(unit, request, rows, self.view, expand, resources=self.resources)
        if not visibility.hidden:
            return unit
        return cast(Unit, VisibleUnit(unit, visibility, self._pk_of))

    def _pk_of(self, model: Any) -> FieldInfo:
        related = self.resources(model)
        assert related is not None  # only registered models are ever hidden
        return related.info.pk_field

    def _check_relations(self, unit: Unit, request: AjaxRequest, values: Mapping[str, Any]) -> None:
        errors: list[FieldError] = []
        for name, value in values.items():
            info = self.info.fields.get(name)
            if info is None or not info.is_relation or value is None:
                continue
            pks = list(value) if info.kind == "many" else [value]
            related = self.resources(info.related_model)
            missing = unreachable(unit, request, related, info, pks)
            if missing:
                key = info.related_key or "pk"
                detail = f"No related record with {key} {', '.join(map(repr, missing))}."
                errors.append(field_error(name, detail, "does_not_exist"))
        if errors:
            raise ValidationFailed(errors)

    def _translate(self, exc: ConstraintViolation, *, deleting: bool = False) -> Exception:
        if deleting and exc.kind == "foreign_key":
            # Rows that still refer to this one: the stored data stands in
            # the way, not a field of a body (a DELETE has none), as the
            # Django ORM's own ProtectedError answers.
            return Conflict("Other records still refer to this record.")
        fields = [f for f in exc.fields if f in self.info.fields] or [""]
        if exc.kind == "unique":
            errors = [
                field_error(f, "A record with this value already exists.", "unique") for f in fields
            ]
            return Conflict("A record with these values already exists.", errors=errors)
        if exc.kind in ("foreign_key", "not_null", "check"):
            detail = {
                "foreign_key": "The related record does not exist.",
                "not_null": "This field may not be null.",
                "check": "The value breaks a constraint.",
            }[exc.kind]
            return ValidationFailed([field_error(f, detail, exc.kind) for f in fields])
        return Conflict("The change conflicts with the stored data.")

    def _hook(
        self,
        unit: Unit,
        hook: Callable[[AjaxRequest, Change], None],
        request: AjaxRequest,
        change: Change,
    ) -> None:
        observers = self.observers
        where = f"{self.name} {change.action}"

        def committed() -> None:
            # Each on its own: the write is stored, so no failure may change
            # its answer or starve the work after it (a live publication).
            logger = self.logger_name()
            run_after_commit(logger, request, f"{where} hook", partial(hook, request, change))
            for observer in list(observers):
                run_after_commit(
                    logger, request, f"{where} observer", partial(observer, request, change)
                )

        unit.on_commit(committed)

    def _unit(self, request: AjaxRequest, *, write: bool) -> AbstractContextManager[Unit]:
        """A unit of its own, or, in an atomic batch, one in the batch's transaction."""
        held = transactions_of(request)
        if held is None:
            if not write:
                return self.repository.reading()
            return self.repository.transaction(partial(self._hook_failed, request))
        source = transaction_source(self.repository)
        if source is None:  # the batch refuses such items before running any
            raise ServerError(f"Model {self.name!r} cannot join an atomic batch.")
        return cast(JoinableRepository, self.repository).join(held.join(source))

    def _hook_failed(self, request: AjaxRequest, exc: BaseException) -> None:
        """Log what raised after an operation's commit (the application's own
        after-commit hook) as after-commit work: the write's answer stands."""
        log_after_commit(self.logger_name(), request, self.name, exc)

    def _validated(self, data: Any, *, partial: bool, update: bool = False) -> dict[str, Any]:
        """``data`` checked by the endpoint's schema, then by the ORM's own
        field rules (422 either way)."""
        values = self.schema.validate(data, partial=partial, update=update)
        errors = self.repository.check_values(values)
        if errors:
            raise ValidationFailed(errors)
        return values

    # -- operations ------------------------------------------------------------

    def list(self, request: AjaxRequest, query: ListQuery) -> Page:
        """A page of the records in scope."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        self._allow(endpoint.can_list(user))
        plan = plan_for(self.view, query.expand, self.lookup)
        with self._unit(request, write=False) as unit:
            rows, count = unit.list(
                endpoint.get_queryset(request), query, plan, count=not query.cursor
            )
            more, rows = len(rows) > query.limit, rows[: query.limit]
            shown = self._visible(unit, request, rows, query.expand)
            results = [self.serialize(shown, obj, query.expand) for obj in rows]
            cursor = self._next_cursor(unit, rows[-1], query.ordering) if more and rows else None
        return Page(results, count, cursor)

    def _next_cursor(self, unit: Unit, last: Any, ordering: tuple[Order, ...]) -> str | None:
        if not cursor_allowed(ordering, self.rules):
            return None
        return self.rules.cursors.encode(
            [str(o) for o in ordering],
            [unit.value(last, self.info.fields[o.field]) for o in ordering],
        )

    def retrieve(self, request: AjaxRequest, pk: Any, expand: Expand) -> Record:
        """One record in scope (404 outside it)."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        with self._unit(request, write=False) as unit:
            obj = self._fetch(unit, endpoint, pk, expand, lock=False)
            self._allow(endpoint.can_get(user, obj))
            return self._record(self._visible(unit, request, [obj], expand), obj, expand)

    def create(self, request: AjaxRequest, data: Any, expand: Expand) -> Record:
        """Validate ``data`` and insert a record."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        values = endpoint.prepare(request, self._validated(data, partial=False), None)
        try:
            with self._unit(request, write=True) as unit:
                self._check_relations(unit, request, values)
                obj = unit.create(values)
                self._allow(endpoint.can_create(user, obj))
                obj = unit.reload(obj, plan_for(self.view, expand, self.lookup))
                record = self._record(self._visible(unit, request, [obj], expand), obj, expand)
                change = Change("created", self.name, record.pk, self.serialize(unit, obj, {}), obj)
                self._hook(unit, endpoint.created, request, change)
        except ConstraintViolation as exc:
            raise self._translate(exc) from exc
        return record

    def update(
        self, request: AjaxRequest, pk: Any, data: Any, expand: Expand, *, partial: bool
    ) -> Record:
        """Change a record in scope, guarded by ``If-Match``."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        values = self._without_pk(self._validated(data, partial=partial, update=True), pk)
        try:
            with self._unit(request, write=True) as unit:
                obj = self._fetch(unit, endpoint, pk, {}, lock=True)
                self._allow(endpoint.can_update(user, obj))
                self._precondition(request, unit, obj)
                values = endpoint.prepare(request, values, obj)
                self._bump_version(unit, obj, values)
                self._check_relations(unit, request, values)
                unit.update(obj, values)
                return self._after_write(endpoint, unit, obj, expand, changed=True)
        except ConstraintViolation as exc:
            raise self._translate(exc) from exc

    def destroy(self, request: AjaxRequest, pk: Any) -> Record:
        """Delete a record in scope; returns it as it was."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        try:
            with self._unit(request, write=True) as unit:
                obj = self._fetch(unit, endpoint, pk, {}, lock=True)
                self._allow(endpoint.can_delete(user, obj))
                self._precondition(request, unit, obj)
                record = self._record(self._visible(unit, request, [obj], {}), obj, {})
                unit.delete(obj)
                change = Change("deleted", self.name, record.pk, record.data, obj)
                self._hook(unit, endpoint.deleted, request, change)
        except ConstraintViolation as exc:
            raise self._translate(exc, deleting=True) from exc
        return record

    def run_action(self, request: AjaxRequest, pk: Any, spec: ActionSpec, expand: Expand) -> Any:
        """Run ``@action`` ``spec`` on a record; ``None`` from it answers the record."""
        endpoint = self.endpoint.bind(request)
        user = endpoint.authenticate(request)
        check = getattr(endpoint, f"can_{spec.permission}")
        try:
            with self._unit(request, write=True) as unit:
                obj = self._fetch(unit, endpoint, pk, {}, lock=True)
                self._allow(check(user, obj))
                before = self._precondition(request, unit, obj)
                writes = self._action_unit(unit)
                request.state[UNIT_KEY] = writes
                try:
                    result = getattr(endpoint, spec.attr)(request, obj)
                finally:
                    del request.state[UNIT_KEY]
                if result is not None:
                    if writes.wrote:  # an update all the same: its hooks run
                        self._after_write(endpoint, unit, obj, {}, changed=True)
                    return result
                return self._after_write(endpoint, unit, obj, expand, changed=False, before=before)
        except ConstraintViolation as exc:
            raise self._translate(exc) from exc

    def _action_unit(self, unit: Unit) -> _ActionUnit:
        """The unit an action writes through (``ModelEndpoint.write``): with
        a ``version_field``, its first write gives the record a new version,
        as an update does."""
        bump = None if self.endpoint.version_field is None else self._bump_version
        return _ActionUnit(unit, bump)

    def _precondition(self, request: AjaxRequest, unit: Unit, obj: Any) -> str:
        # The ETag the request was given: of the record as it may see it.
        current = self.etag(self._visible(unit, request, [obj], {}), obj)
        header = request.headers.get("if-match")
        # Required of writes only: a GET action reads, and names no version.
        required = self.endpoint.require_if_match and request.method not in SAFE_METHODS
        check_if_match(header, current, required=required)
        return current

    def _bump_version(self, unit: Unit, obj: Any, values: dict[str, Any]) -> None:
        version = self.endpoint.version_field
        if version is not None:
            values[version] = (unit.value(obj, self.info.fields[version]) or 0) + 1

    def _without_pk(self, values: dict[str, Any], pk: Any) -> dict[str, Any]:
        name = self.info.pk
        if name in values and values.pop(name) != pk:
            raise ValidationFailed(
                [field_error(name, "The primary key cannot be changed.", "read_only")]
            )
        return values

    def _after_write(
        self,
        endpoint: ModelEndpoint,
        unit: Unit,
        obj: Any,
        expand: Expand,
        *,
        changed: bool,
        before: str = "",
    ) -> Record:
        obj = unit.reload(obj, plan_for(self.view, expand, self.lookup))
        shown = self._visible(unit, endpoint.request, [obj], expand)
        record = self._record(shown, obj, expand)
        if changed or record.version != before:
            change = Change("updated", self.name, record.pk, self.serialize(unit, obj, {}), obj)
            self._hook(unit, endpoint.updated, endpoint.request, change)
        return record


class _ActionUnit:
    """The unit of an action, noting whether it wrote; its first ``update``
    also bumps the version field (``bump``), if any.

    An action's writes kept the version, so the record changed under the
    ETag read before it, and a client holding that tag overwrote the change;
    and one answering its own result ran no ``updated`` hook.
    """

    def __init__(self, unit: Unit, bump: Callable[[Unit, Any, dict[str, Any]], None] | None):
        self._unit = unit
        self._bump = bump
        self.wrote = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._unit, name)

    def update(self, obj: Any, values: Mapping[str, Any]) -> None:
        changed = dict(values)
        if self._bump is not None and not self.wrote:  # one action, one new version
            self._bump(self._unit, obj, changed)
        self.wrote = True
        self._unit.update(obj, changed)


def _check_page_limits(label: str, default: object, maximum: object) -> None:
    """``max_limit = 0`` made every explicit ``limit`` a 400, and a
    ``default_limit`` above ``max_limit`` served pages no client could ask for."""
    if not _whole(maximum) or maximum < 1:
        raise RegistrationError(
            f"{label}.max_limit must be a whole number of 1 or more, not {maximum!r}."
        )
    if not _whole(default) or not 1 <= default <= maximum:
        raise RegistrationError(
            f"{label}.default_limit must be from 1 to max_limit ({maximum}), not {default!r}."
        )


def _whole(value: object) -> TypeGuard[int]:
    """An int that is not a bool (``True`` is an int to Python, not a page size)."""
    return isinstance(value, int) and not isinstance(value, bool)
