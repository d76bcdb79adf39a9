"""django-ajax's endpoint classes and the model endpoint registry.

::

    from ajaxkit.compat import django_ajax as ajax
    from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint

    class CategoryEndpoint(ModelEndpoint):
        def can_list(self, user):
            return user.is_staff

    ajax.endpoint.register(Category, CategoryEndpoint)

A :class:`ModelEndpoint` is made per request, as in the original
(``self.pk``, ``self.options``); its built-in operations (create, list,
get, update, delete, tags) run on ajaxkit's model layer, and can be called
directly as the original's own tests did
(``WidgetEndpoint("example", Widget, "list").list(request)``).  Rows are
written by :meth:`ModelEndpoint._save`, which a subclass may override.  Public methods a
subclass adds are custom operations at ``<model>/<name>.json`` and
``<model>/<pk>/<name>.json``; hooks and names starting with ``_`` are not.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import router

from ajaxkit.compat.django_ajax import operations
from ajaxkit.compat.django_ajax.authentication import authentication
from ajaxkit.compat.django_ajax.bridge import (
    LEGACY_KEY,
    LegacyResource,
    build_resource,
    build_scope,
)
from ajaxkit.compat.django_ajax.encoders import encoder
from ajaxkit.compat.django_ajax.exceptions import AJAXError, AlreadyRegistered, NotRegistered
from ajaxkit.compat.django_ajax.profile import EnvelopedResponse
from ajaxkit.compat.django_ajax.taggit import has_tags
from ajaxkit.core.models import ModelResource
from ajaxkit.types import AjaxRequest, Headers, MultiDict

__all__ = ["BUILT_IN", "BaseEndpoint", "Endpoints", "ModelEndpoint", "endpoint"]

#: Operations every model endpoint has.
BUILT_IN = frozenset({"create", "list", "get", "update", "delete", "tags"})


class BaseEndpoint:
    """A base for callable ad-hoc endpoints (``my_endpoint = MyEndpoint()``)."""

    def __call__(self, request: Any) -> Any:
        raise NotImplementedError

    def _encode_data(self, data: Any) -> Any:
        """Records for a queryset or list of model instances."""
        return encoder.encode(data)

    def _encode_record(self, record: Any) -> Any:
        """The record for one model instance."""
        return encoder.encode(record)


class ModelEndpoint(BaseEndpoint):
    """A model's AJAX operations and the hooks that guard them.

    Class attributes:
        immutable_fields: fields clients cannot write (silently ignored).
        max_per_page: the largest ``items_per_page`` of a list (default
            ``AJAX_MAX_PER_PAGE``, else 100).
    """

    immutable_fields: ClassVar[Sequence[str]] = ()
    max_per_page: ClassVar[int | None] = None
    resource: LegacyResource
    ajax_request: AjaxRequest

    def __init__(self, application: str, model: Any, method: str, **kwargs: Any) -> None:
        self.application = application
        self.model = model
        self.method = method
        self.pk = kwargs.get("pk")
        self.options = kwargs

    # -- hooks -------------------------------------------------------------

    def authenticate(self, request: Any, application: str, method: str) -> bool:
        """Runs before any operation; ``False`` answers 403 "User is not
        authorized."  Default: ``AJAX_AUTHENTICATION`` (a logged-in user)."""
        return bool(authentication().is_authenticated(request, application, method))

    def get_queryset(self, request: Any, **kwargs: Any) -> Any:
        """The rows ``list`` shows (none by default, as in the original)."""
        return self.model._default_manager.none()

    def can_list(self, user: Any) -> bool:
        """May ``user`` list?  (403 "Access to this endpoint is forbidden"; default no.)"""
        return False

    def can_get(self, user: Any, record: Any) -> bool:
        """May ``user`` read ``record``?  (403 "Access to endpoint is forbidden".)"""
        return True

    def _user_is_active_or_staff(self, user: Any, record: Any, **kwargs: Any) -> bool:
        return bool((user.is_authenticated and user.is_active) or user.is_staff)

    def can_create(self, user: Any, record: Any) -> bool:
        """May ``user`` create ``record``?  Default: an active or staff user."""
        return self._user_is_active_or_staff(user, record)

    def can_update(self, user: Any, record: Any, **kwargs: Any) -> bool:
        """May ``user`` change ``record`` (as stored)?  ``modified=`` is a copy
        with the posted values set (passed when the hook accepts it).
        Default: an active or staff user."""
        return self._user_is_active_or_staff(user, record)

    def can_delete(self, user: Any, record: Any) -> bool:
        """May ``user`` delete ``record``?  Default: active or staff."""
        return self._user_is_active_or_staff(user, record)

    def _save(self, record: Any) -> Any:
        """Validate ``record`` with ``full_clean()`` and save it; 400 "Could
        not save model." with Django's ``message_dict`` as ``errors``.
        Runs in the operation's transaction."""
        try:
            record.full_clean()
        except ValidationError as exc:
            raise AJAXError(400, "Could not save model.", errors=exc.message_dict) from exc
        record.save()
        return record

    # -- operations ----------------------------------------------------------

    def create(self, request: Any) -> Any:
        """Insert a record from the posted fields (and ``tags``)."""
        return operations.create(self._serving(request))

    def list(self, request: Any) -> EnvelopedResponse:
        """A page of :meth:`get_queryset` with the ``total``."""
        return operations.list_records(self._serving(request))

    def get(self, request: Any) -> Any:
        """The record ``self.pk``."""
        return operations.get(self._serving(request))

    def update(self, request: Any) -> Any:
        """Write the posted fields that changed."""
        return operations.update(self._serving(request))

    def delete(self, request: Any) -> Any:
        """Delete the record; ``{"pk": <pk>}``."""
        return operations.delete(self._serving(request))

    def tags(self, request: Any) -> Any:
        """django-taggit: ``tags/(add|remove|set|clear|similar).json``."""
        return operations.tags(self._serving(request))

    def _serving(self, request: Any) -> ModelEndpoint:
        # Called directly (not through the mount), the endpoint has no
        # request of the model layer yet: make one from the native request.
        if "ajax_request" not in vars(self):
            endpoint.bind(self, direct_request(request))
        return self

    # -- helpers for custom operations --------------------------------------------

    def _get_record(self) -> Any:
        """The record ``self.pk`` (400 without a pk, 404 when there is none)."""
        if self.pk is None:
            raise AJAXError(400, "Invalid request for record.")
        try:
            return self.resource.repository.scope().get(pk=self.pk)
        except (self.model.DoesNotExist, ValueError) as exc:
            name = self.model.__name__
            raise AJAXError(404, f'{name} with id of "{self.pk}" not found.') from exc

    def operation(self, name: str) -> Callable[[Any], Any] | None:
        """The method answering operation ``name``, or ``None`` (404 "Invalid method.")."""
        if name in BUILT_IN:
            return None if name == "tags" and not has_tags(self.model) else getattr(self, name)
        if name.startswith("_") or hasattr(ModelEndpoint, name):
            return None  # hooks and helpers are not operations
        found = inspect.getattr_static(type(self), name, None)
        return getattr(self, name) if inspect.isfunction(found) else None


class Endpoints:
    """The model endpoint registry (``ajax.endpoint``)."""

    def __init__(self) -> None:
        self._registry: dict[Any, type[ModelEndpoint]] = {}
        self._resources: dict[tuple[Any, str], LegacyResource] = {}
        self._scopes: dict[tuple[Any, str, type[ModelEndpoint]], ModelResource] = {}

    def register(self, model: Any, endpoint_class: type[ModelEndpoint] = ModelEndpoint) -> None:
        """Serve ``model`` at ``/ajax/<app label>/<model name>...`` with ``endpoint_class``."""
        if model in self._registry:
            raise AlreadyRegistered(f"{model.__name__} is already registered.")
        self._registry[model] = endpoint_class

    def unregister(self, model: Any) -> None:
        if model not in self._registry:
            raise NotRegistered(f"{model.__name__} is not registered.")
        del self._registry[model]
        self._resources = {k: v for k, v in self._resources.items() if k[0] is not model}
        self._scopes = {k: v for k, v in self._scopes.items() if k[0] is not model}

    def related(self, model: Any, using: str) -> ModelResource | None:
        """How rows of ``model`` reached through a relation are scoped: by its
        registered endpoint, as its ``get.json`` answers; ``None`` (every
        row) for a model with no endpoint, as ajaxkit's own model endpoints
        treat an unregistered model."""
        endpoint_class = self._registry.get(model)
        if endpoint_class is None:
            return None
        key = (model, using, endpoint_class)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = build_scope(model, endpoint_class, using)
        return scope

    def model_for(self, application: str, model_name: str) -> Any | None:
        """The registered model of app ``application`` named ``model_name``."""
        for model in self._registry:
            opts = model._meta
            if opts.app_label == application and opts.model_name == model_name.lower():
                return model
        return None

    def load(self, model_name: str, application: str, method: str, **kwargs: Any) -> ModelEndpoint:
        """A new endpoint for the request (the original's ``Endpoints.load``)."""
        model = self.model_for(application, model_name)
        if model is None:
            raise NotRegistered(f"No endpoint for {application}.{model_name}.")
        return self._registry[model](application, model, method, **kwargs)

    def bind(self, legacy: ModelEndpoint, request: AjaxRequest) -> None:
        """Give ``legacy`` its request and the resource for its model's database."""
        model = legacy.model
        using = router.db_for_write(model)
        key = (model, using)
        resource = self._resources.get(key)
        if resource is None or resource.legacy_class is not type(legacy):
            # An endpoint made directly may be of a class never registered.
            resource = build_resource(
                model, type(legacy), using, lambda related: self.related(related, using)
            )
            if self._registry.get(model) is type(legacy):
                self._resources[key] = resource
        request.state[LEGACY_KEY] = legacy
        legacy.ajax_request = request
        legacy.resource = resource.serving(legacy)


def direct_request(native: Any) -> AjaxRequest:
    """The model layer's request for an endpoint called directly with
    ``native``: a Django request, or any object with ``POST`` and ``user``."""
    request = AjaxRequest(
        method=getattr(native, "method", None) or "POST",
        path=getattr(native, "path", ""),
        route="",
        headers=Headers(getattr(native, "headers", {}).items()),
        query=MultiDict(),
        native=native,
        # Django's lazy ``request.user`` as it is, not through the core's
        # loader: this request only exists for a direct, synchronous call
        # (``endpoint.list(request)``); served through the mount, the Django
        # integration's request (and its loader) is bound instead.  The proxy
        # is read by the operation's permission hooks in the caller's own
        # context, the one its ORM queries run in too: an async caller must
        # move the whole call to a thread anyway (Django refuses the queries
        # on an event loop), proxy included.
        user=getattr(native, "user", None),
    )
    form = getattr(native, "POST", {})
    lists = form.lists() if hasattr(form, "lists") else ((k, [v]) for k, v in form.items())
    request.data = MultiDict([(key, value) for key, values in lists for value in values])
    return request


#: The registry (``ajax.endpoint`` in the original).
endpoint = Endpoints()
