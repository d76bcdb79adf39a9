"""django-ajax's model endpoints served by the model layer's operations.

A registered legacy :class:`~ajaxkit.compat.django_ajax.endpoints.ModelEndpoint`
is paired with a core :class:`~ajaxkit.core.models.ModelEndpoint` subclass
(:class:`Bridge`) whose hooks call the legacy hooks, and a
:class:`LegacyResource` whose records have django-ajax's shape.  Create,
get, update, delete and list then run through
:class:`~ajaxkit.core.models.ModelResource` (scoping, validation, one
transaction, after-commit hooks) like every ajaxkit model endpoint; this
module only translates inputs and errors at the edges.

The legacy endpoint answering a request is kept in the request's ``state``
(legacy endpoints are made per request, ``self.pk``, ``self.options``, as
the original made them); the bridge's hooks find it through
``self.request``, which the model layer sets on every hook's endpoint.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from ajaxkit.compat.django_ajax.encoders import encoder, json_encoder, legacy_fields, shape_record
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.compat.django_ajax.signals import ajax_created, ajax_deleted, ajax_updated
from ajaxkit.core.fielderrors import field_error
from ajaxkit.core.models import Change, ModelResource, Unit
from ajaxkit.core.models import ModelEndpoint as CoreModelEndpoint
from ajaxkit.core.models.endpoint import UNIT_KEY
from ajaxkit.core.models.query import Expand
from ajaxkit.core.models.repository import FieldInfo
from ajaxkit.core.models.scope import ResourceLookup, reachable
from ajaxkit.django.repository import DjangoRepository
from ajaxkit.exceptions import AjaxError, FieldError, Forbidden, ValidationFailed
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint

__all__ = [
    "FORBIDDEN",
    "LEGACY_KEY",
    "POSTED_KEY",
    "Bridge",
    "LegacyResource",
    "RelatedScope",
    "build_resource",
    "build_scope",
]

FORBIDDEN = "Access to endpoint is forbidden"
LIST_FORBIDDEN = "Access to this endpoint is forbidden"
#: Where a request's legacy endpoint is kept in ``AjaxRequest.state``.
LEGACY_KEY = "django_ajax.endpoint"
#: Where an update keeps the values it was posted (for ``modified=``).
POSTED_KEY = "django_ajax.posted"


def _allow(allowed: bool, message: str = FORBIDDEN) -> bool:
    if not allowed:
        raise AJAXError(403, message)
    return True


class Bridge(CoreModelEndpoint):
    """Core hooks answered by the legacy endpoint of the request."""

    # django-ajax ignored fields it did not know (forms carry csrf tokens,
    # ``tags``, paging parameters); authentication ran before the operation.
    unknown_fields = "ignore"
    allow_anonymous = True
    legacy_class: ClassVar[type[Any]]

    @property
    def legacy(self) -> ModelEndpoint:
        """The legacy endpoint answering this copy's request."""
        legacy: ModelEndpoint = self.request.state[LEGACY_KEY]
        return legacy

    def authenticate(self, request: AjaxRequest) -> Any:
        return request.user

    def get_queryset(self, request: AjaxRequest) -> Any:
        # The original scoped only lists; records were fetched among all rows.
        if self.legacy.method == "list":
            return self.legacy.get_queryset(request.native)
        return self.repository.scope()

    def can_list(self, user: Any) -> bool:
        return _allow(self.legacy.can_list(user), LIST_FORBIDDEN)

    def can_get(self, user: Any, obj: Any) -> bool:
        return _allow(self.legacy.can_get(user, obj))

    def can_create(self, user: Any, obj: Any) -> bool:
        return _allow(self.legacy.can_create(user, obj))

    def can_update(self, user: Any, obj: Any) -> bool:
        hook = self.legacy.can_update
        if not _takes_modified(getattr(hook, "__func__", hook)):
            return _allow(hook(user, obj))
        return _allow(hook(user, obj, modified=self._modified(obj)))

    def _modified(self, obj: models.Model) -> models.Model:
        # The original handed can_update the record as stored and, as
        # modified=, a second copy with the posted values set on it.
        modified: models.Model = type(obj)._default_manager.using(obj._state.db).get(pk=obj.pk)
        for name, value in self.request.state.get(POSTED_KEY, {}).items():
            field = obj._meta.get_field(name)
            if isinstance(field, models.Field) and not field.many_to_many:
                setattr(modified, field.attname, _as_python(field, value))
        return modified

    def can_delete(self, user: Any, obj: Any) -> bool:
        return _allow(self.legacy.can_delete(user, obj))

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        # An update posting the values a record already has writes nothing
        # (and calls no _save), as the original compared them.
        if obj is None:
            return values
        return {name: value for name, value in values.items() if not _unchanged(obj, name, value)}

    def created(self, request: AjaxRequest, change: Change) -> None:
        ajax_created.send(sender=self.model, instance=change.instance)

    def updated(self, request: AjaxRequest, change: Change) -> None:
        ajax_updated.send(sender=self.model, instance=change.instance)

    def deleted(self, request: AjaxRequest, change: Change) -> None:
        ajax_deleted.send(sender=self.model, instance=change.instance, payload={"pk": change.pk})

    def taggit_command(self, request: AjaxRequest, obj: Any) -> Any:
        """Run ``tags/<command>`` on ``obj`` (an action of the model layer)."""
        from ajaxkit.compat.django_ajax.taggit import run_command

        command = self.legacy.options.get("taggit_command")
        return run_command(obj, command, request.data, self._readable)

    def _readable(self, rows: list[Any]) -> list[Any]:
        """``rows`` (of any registered models) less those the request may not
        read, each judged by its own model's endpoint (:class:`RelatedScope`)."""
        lookup = self.legacy.resource.resources
        unit = self.request.state[UNIT_KEY]  # set while an action runs
        allowed: dict[Any, set[Any]] = {}
        for model in {type(row) for row in rows}:
            scope = lookup(model)
            if scope is not None:
                loaded = {row.pk: row for row in rows if type(row) is model}
                allowed[model] = reachable(unit, self.request, scope, loaded)
        return [row for row in rows if type(row) not in allowed or row.pk in allowed[type(row)]]


class RelatedScope(CoreModelEndpoint):
    """Which rows of a registered model a request may see through a relation
    of another model's record: those its ``<model>/<pk>/get.json`` would
    answer, so a relation shows and accepts no row that a read refuses.

    That read runs the legacy endpoint's ``authenticate`` (for ``"get"``)
    and ``can_get``; it looks among all rows, as the original's ``get`` did
    (``get_queryset`` scoped only lists).  A refusal, by ``False`` or by an
    ``AJAXError``, hides the row.
    """

    allow_anonymous = True
    legacy_class: ClassVar[type[Any]]

    def _legacy(self) -> ModelEndpoint:
        # Made per hook, as the original made an endpoint per request; the
        # request's own legacy endpoint (LEGACY_KEY) is another model's.
        legacy: ModelEndpoint = self.legacy_class(self.model._meta.app_label, self.model, "get")
        return legacy

    def authenticate(self, request: AjaxRequest) -> Any:
        legacy = self._legacy()
        try:
            allowed = legacy.authenticate(request.native, legacy.application, "get")
        except AjaxError:
            allowed = False
        if not allowed:
            raise Forbidden()
        return request.user

    def can_get(self, user: Any, obj: Any) -> bool:
        try:
            return bool(self._legacy().can_get(user, obj))
        except AjaxError:
            return False


@functools.lru_cache(maxsize=256)  # hooks set on instances are new functions each time
def _takes_modified(hook: Callable[..., Any]) -> bool:
    # The original passed modified=; a hook written as can_update(user,
    # record) for this profile, before it did, keeps working.
    parameters = inspect.signature(hook).parameters.values()
    return any(p.name == "modified" or p.kind is p.VAR_KEYWORD for p in parameters)


def _as_python(field: models.Field[Any, Any], value: Any) -> Any:
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value  # full_clean() in _save() will say why


def _unchanged(obj: models.Model, name: str, value: Any) -> bool:
    field = obj._meta.get_field(name)
    if not isinstance(field, models.Field):
        return False  # a reverse relation is never written
    if field.many_to_many:
        return bool(sorted(getattr(obj, name).values_list("pk", flat=True)) == sorted(value))
    try:
        # Posted values are text: compare them as the field reads them.
        posted = field.to_python(value)
    except ValidationError:
        return False  # full_clean() in _save() will say why
    return bool(getattr(obj, field.attname) == posted)


class LegacyResource(ModelResource):
    """A model resource whose records have django-ajax's shape.

    Attributes:
        using: the database alias it reads and writes.
        legacy_class: the legacy endpoint class it serves.
    """

    using: str
    legacy_class: type[Any]
    repository: DjangoRepository

    def serving(self, legacy: ModelEndpoint) -> LegacyResource:
        """This resource for one request of ``legacy``: rows are saved by
        its ``_save(record)``, as the original saved them."""

        def save(obj: models.Model, fields: Sequence[str], insert: bool) -> None:
            legacy._save(obj)

        serving = copy.copy(self)
        serving.repository = self.repository.saving_with(save)
        return serving

    def _validated(self, data: Any, *, partial: bool, update: bool = False) -> dict[str, Any]:
        # The original checked nothing up front: values reached the model as
        # posted, a missing one kept its default, and full_clean() in _save()
        # named what was wrong in Django's words ("This field cannot be
        # blank.").  Only related rows are looked up here, as it did, and
        # values no field can even read are refused instead of raising.
        values = dict(data)
        errors: list[FieldError] = []
        for name, value in values.items():
            try:
                values[name] = self._read(self.info.fields[name], value)
            except _Unreadable as exc:
                errors.append(field_error(name, str(exc), exc.code))
        if errors:
            raise ValidationFailed(errors)
        return values

    def _read(self, info: FieldInfo, value: Any) -> Any:
        if info.kind != "many" and isinstance(value, (dict, list)):
            # Only a JSON body can nest; a form value never did.
            raise _Unreadable("Expected a single value.", "invalid")
        if info.is_relation:
            return value if value is None else self._related_pks(info, value)
        field = self.repository.django_field(self.info.model, info.name)
        try:
            field.to_python(value)
        except ValidationError:
            pass  # full_clean() in _save() tells it in Django's words
        except (TypeError, ValueError, ArithmeticError) as exc:
            # ``true`` for a date: the original crashed with a 500 here.
            message = str(field.error_messages.get("invalid", "Enter a valid value."))
            raise _Unreadable(message % {"value": value}, "invalid") from exc
        return value

    def _related_pks(self, info: FieldInfo, value: Any) -> Any:
        pk = info.related_model._meta.pk

        def read(raw: Any) -> Any:
            found = pk.to_python(raw)
            pk.run_validators(found)  # the column's range: beyond it a lookup overflows
            return found

        try:
            if info.kind == "many":
                return [read(item) for item in value]
            return read(value)
        except (ValidationError, TypeError, ValueError) as exc:
            detail = f"No related record with pk {value!r}."
            raise _Unreadable(detail, "does_not_exist") from exc

    def serialize(self, unit: Unit, obj: Any, expand: Expand) -> dict[str, Any]:
        values = super().serialize(unit, obj, expand)
        return shape_record(obj, encoder.filter(self.info.model, values))


class _Unreadable(Exception):
    """A posted value no field of the model can read."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.code = code


def build_resource(
    model: Any, legacy_class: type[Any], using: str, related: ResourceLookup | None = None
) -> LegacyResource:
    """The resource serving ``model`` on database ``using`` for ``legacy_class``;
    ``related`` finds how a related model's rows are scoped (:func:`build_scope`)."""
    bridge_class = type(
        f"{legacy_class.__name__}Bridge",
        (Bridge,),
        {
            "legacy_class": legacy_class,
            "fields": legacy_fields(model),
            "read_only": tuple(getattr(legacy_class, "immutable_fields", ())),
            "ordering": _ordering(model),
        },
    )
    bridge = bridge_class(model, DjangoRepository(model, using))
    etag_encoder = json_encoder()
    resource = LegacyResource(
        bridge, bridge.info.resource, _no_view, lambda: etag_encoder, resources=related
    )
    resource.using = using
    resource.legacy_class = legacy_class
    return resource


def build_scope(model: Any, legacy_class: type[Any], using: str) -> ModelResource:
    """The resource through which relations to ``model`` (served by
    ``legacy_class`` on ``using``) are scoped: :class:`RelatedScope`'s hooks,
    its pk alone shown (it is never routed or serialized)."""
    repository = DjangoRepository(model, using)
    scope_class = type(
        f"{legacy_class.__name__}Scope",
        (RelatedScope,),
        {"legacy_class": legacy_class, "fields": (repository.info.pk,)},
    )
    etag_encoder = json_encoder()
    return ModelResource(
        scope_class(model, repository),
        repository.info.resource,
        _no_view,
        lambda: etag_encoder,
    )


def _no_view(model: Any) -> None:
    # Records are never expanded in this profile.
    return None


def _ordering(model: Any) -> tuple[str, ...]:
    # Lists keep the model's default order where it names plain fields.
    names = {f.name for f in model._meta.concrete_fields}
    ordering = [o for o in model._meta.ordering if isinstance(o, str)]
    return tuple(o for o in ordering if o.removeprefix("-") in names)
