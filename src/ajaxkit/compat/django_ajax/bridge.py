"""django-ajax's model endpoints served by the model layer's operations.

A registered legacy :class:`~ajaxkit.compat.django_ajax.endpoints.ModelEndpoint`
is paired with a core :class:`~ajaxkit.core.models.ModelEndpoint` subclass
(:class:`Bridge`) whose hooks call the legacy hooks, and a
:class:`LegacyResource` whose records have django-ajax's shape.  Create,
get, update, delete and list then run through
:class:`~ajaxkit.core.models.ModelResource` (scoping, validation, one
transaction, after-commit hooks) like every ajaxkit model endpoint; this
module only translates inputs and errors at the edges.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models

from ajaxkit.compat.django_ajax.encoders import encoder, json_encoder, legacy_fields, shape_record
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.compat.django_ajax.signals import ajax_created, ajax_deleted, ajax_updated
from ajaxkit.core.models import Change, ModelResource, Unit
from ajaxkit.core.models import ModelEndpoint as CoreModelEndpoint
from ajaxkit.core.models.query import Expand
from ajaxkit.core.models.repository import repository_for
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint

__all__ = ["FORBIDDEN", "Bridge", "LegacyResource", "build_resource", "serving"]

FORBIDDEN = "Access to endpoint is forbidden"
LIST_FORBIDDEN = "Access to this endpoint is forbidden"

#: The legacy endpoint answering the current request: core hooks such as
#: ``can_get(user, obj)`` receive no request, and legacy endpoints are made
#: per request (``self.pk``, ``self.options``), as the original made them.
_serving: ContextVar[ModelEndpoint] = ContextVar("django_ajax_endpoint")


@contextlib.contextmanager
def serving(endpoint: ModelEndpoint) -> Iterator[None]:
    """Make ``endpoint`` the one the bridge's hooks call during the block."""
    token = _serving.set(endpoint)
    try:
        yield
    finally:
        _serving.reset(token)


def _legacy() -> ModelEndpoint:
    return _serving.get()


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

    def authenticate(self, request: AjaxRequest) -> Any:
        return request.user

    def get_queryset(self, request: AjaxRequest) -> Any:
        # The original scoped only lists; records were fetched among all rows.
        if _legacy().method == "list":
            return _legacy().get_queryset(request.native)
        return self.repository.scope()

    def can_list(self, user: Any) -> bool:
        return _allow(_legacy().can_list(user), LIST_FORBIDDEN)

    def can_get(self, user: Any, obj: Any) -> bool:
        return _allow(_legacy().can_get(user, obj))

    def can_create(self, user: Any, obj: Any) -> bool:
        return _allow(_legacy().can_create(user, obj))

    def can_update(self, user: Any, obj: Any) -> bool:
        return _allow(_legacy().can_update(user, obj))

    def can_delete(self, user: Any, obj: Any) -> bool:
        return _allow(_legacy().can_delete(user, obj))

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        # An update posting the values a record already has writes nothing.
        if obj is None:
            return values
        return {name: value for name, value in values.items() if _current(obj, name) != _key(value)}

    def created(self, request: AjaxRequest, change: Change) -> None:
        ajax_created.send(sender=self.model, instance=change.instance)

    def updated(self, request: AjaxRequest, change: Change) -> None:
        ajax_updated.send(sender=self.model, instance=change.instance)

    def deleted(self, request: AjaxRequest, change: Change) -> None:
        ajax_deleted.send(sender=self.model, instance=change.instance, payload={"pk": change.pk})

    def taggit_command(self, request: AjaxRequest, obj: Any) -> Any:
        """Run ``tags/<command>`` on ``obj`` (an action of the model layer)."""
        from ajaxkit.compat.django_ajax.taggit import run_command

        return run_command(obj, _legacy().options.get("taggit_command"), request.data)


def _key(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def _current(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return sorted(getattr(obj, name).values_list("pk", flat=True))
    return getattr(obj, getattr(field, "attname", name))


class LegacyResource(ModelResource):
    """A model resource whose records have django-ajax's shape.

    Attributes:
        using: the database alias it reads and writes.
    """

    using: str

    def serialize(self, unit: Unit, obj: Any, expand: Expand) -> dict[str, Any]:
        values = super().serialize(unit, obj, expand)
        return shape_record(obj, encoder.filter(self.info.model, values))


def build_resource(model: Any, legacy_class: type[Any], using: str) -> LegacyResource:
    """The resource serving ``model`` on database ``using`` for ``legacy_class``."""
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
    bridge = bridge_class(model, repository_for(model, using=using))
    etag_encoder = json_encoder()
    resource = LegacyResource(
        bridge, bridge.info.resource, lambda related: None, lambda: etag_encoder
    )
    resource.using = using
    return resource


def _ordering(model: Any) -> tuple[str, ...]:
    # Lists keep the model's default order where it names plain fields.
    names = {f.name for f in model._meta.concrete_fields}
    ordering = [o for o in model._meta.ordering if isinstance(o, str)]
    return tuple(o for o in ordering if o.removeprefix("-") in names)
