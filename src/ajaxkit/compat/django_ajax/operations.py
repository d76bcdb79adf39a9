"""django-ajax's built-in model operations over :class:`LegacyResource`.

Each takes the legacy endpoint serving the request and answers what the
original answered; the work is the model layer's.  Inputs are read the
original's way (form or JSON body; ``"true"/"false"/"null"``; a nullable
foreign key cleared by an empty or false value; many-to-many by repeated
keys), and the model layer's errors are told in the original's words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.db import transaction

from ajaxkit.compat.django_ajax import taggit
from ajaxkit.compat.django_ajax.bridge import POSTED_KEY, LegacyResource
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.compat.django_ajax.profile import EnvelopedResponse
from ajaxkit.core.models import ActionSpec
from ajaxkit.core.models.query import parse_list_query
from ajaxkit.core.models.repository import FieldInfo
from ajaxkit.exceptions import Conflict, NotFound, ValidationFailed
from ajaxkit.types import MultiDict

if TYPE_CHECKING:
    from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint

__all__ = ["create", "delete", "get", "list_records", "tags", "update"]

SAVE_FAILED = "Could not save model."
_VALUES = {"true": True, "false": False, "null": None}
_TAGS_WRITE = ActionSpec("tags", "taggit_command", ("POST",), "update")
_TAGS_READ = ActionSpec("tags", "taggit_command", ("POST",), "get")


def create(endpoint: ModelEndpoint) -> Any:
    """Insert a record (and its posted ``tags``, in the same transaction)."""
    resource, request = endpoint.resource, endpoint.ajax_request
    data = form_values(resource, request.data)
    tags = taggit.parse(request.data) if taggit.has_tags(endpoint.model) else None
    with transaction.atomic(using=resource.using), _save_errors():
        record = resource.create(request, data, {})
        if tags is not None:
            obj = resource.repository.scope().get(pk=record.pk)
            taggit.save_tags(obj, lambda manager: manager.set(tags))
    return record.data


def get(endpoint: ModelEndpoint) -> Any:
    """The record named by the URL."""
    with _record_errors(endpoint):
        return endpoint.resource.retrieve(endpoint.ajax_request, _pk(endpoint), {}).data


def update(endpoint: ModelEndpoint) -> Any:
    """Change the posted fields that differ (``tags`` set, or cleared when empty)."""
    resource, request = endpoint.resource, endpoint.ajax_request
    pk = _pk(endpoint)
    data = form_values(resource, request.data)
    request.state[POSTED_KEY] = data
    tags = taggit.parse(request.data) if taggit.has_tags(endpoint.model) else None
    with transaction.atomic(using=resource.using), _record_errors(endpoint), _save_errors():
        record = resource.update(request, pk, data, {}, partial=True)
        if tags is not None:
            obj = resource.repository.scope().get(pk=pk)
            taggit.save_tags(obj, _set_or_clear(tags))
    return record.data


def delete(endpoint: ModelEndpoint) -> Any:
    """Delete the record; answers ``{"pk": <pk>}``."""
    with _record_errors(endpoint):
        record = endpoint.resource.destroy(endpoint.ajax_request, _pk(endpoint))
    return {"pk": record.pk}


def list_records(endpoint: ModelEndpoint) -> EnvelopedResponse:
    """A page of ``get_queryset``: ``items_per_page`` (at most ``max_per_page``,
    else ``AJAX_MAX_PER_PAGE``, else 100) and ``current_page``, with ``total``."""
    resource, request = endpoint.resource, endpoint.ajax_request
    data = request.data if isinstance(request.data, (dict, MultiDict)) else {}
    ceiling = endpoint.max_per_page or getattr(django_settings, "AJAX_MAX_PER_PAGE", 100)
    per_page = max(1, min(_whole(ceiling, 100), _whole(data.get("items_per_page"), 20)))
    page = _whole(data.get("current_page"), 1)
    query = dataclasses.replace(
        parse_list_query(MultiDict(), resource.rules),
        limit=per_page,
        offset=max(0, (page - 1) * per_page),
    )
    found = resource.list(request, query)
    # Pages before the first are empty, as the original's paginator made them.
    results = found.results if page >= 1 else []
    return EnvelopedResponse(data=results, metadata={"total": found.count})


def tags(endpoint: ModelEndpoint) -> Any:
    """``tags/<command>``: add, remove, set, clear (need ``can_update``) or
    similar (needs ``can_get``) on the record."""
    command = endpoint.options.get("taggit_command")
    if command not in taggit.COMMANDS:
        raise AJAXError(400, taggit.MISSING_COMMAND)
    spec = _TAGS_READ if command == "similar" else _TAGS_WRITE
    with _record_errors(endpoint), _save_errors():
        return endpoint.resource.run_action(endpoint.ajax_request, _pk(endpoint), spec, {})


def form_values(resource: LegacyResource, data: Any) -> dict[str, Any]:
    """The writable fields in a form or JSON body, read the way django-ajax read them."""
    if data is None:
        return {}
    if not isinstance(data, (dict, MultiDict)):
        raise AJAXError(400, SAVE_FAILED, errors={"__all__": ["Expected a JSON object."]})
    values = {}
    for name, info in resource.schema.writable.items():
        if name in data:
            repeated = isinstance(data, MultiDict) and info.kind == "many"
            raw = data.getlist(name) if isinstance(data, MultiDict) and repeated else data[name]
            values[name] = _value(info, raw)
    return values


def _value(info: FieldInfo, raw: Any) -> Any:
    if info.kind == "many":
        items = raw if isinstance(raw, list) else [raw]
        return [item for item in items if item not in ("", None)]
    value = _VALUES.get(raw.lower(), raw) if isinstance(raw, str) else raw
    if info.python_type is str and isinstance(value, bool):
        return raw  # "true" is a fine title
    if info.nullable and (value == "" or (info.kind == "fk" and not value)):
        return None
    return value


def _whole(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _pk(endpoint: ModelEndpoint) -> Any:
    if endpoint.pk is None:
        raise AJAXError(400, "Invalid request for record.")
    try:
        return endpoint.resource.convert_pk(str(endpoint.pk))
    except ValidationFailed as exc:
        raise _not_found(endpoint) from exc


def _not_found(endpoint: ModelEndpoint) -> AJAXError:
    return AJAXError(404, f'{endpoint.model.__name__} with id of "{endpoint.pk}" not found.')


@contextmanager
def _record_errors(endpoint: ModelEndpoint) -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        if isinstance(exc, AJAXError):
            raise
        raise _not_found(endpoint) from exc


@contextmanager
def _save_errors() -> Iterator[None]:
    """The model layer's validation and constraint errors as django-ajax's 400."""
    try:
        yield
    except (ValidationFailed, Conflict) as exc:
        if isinstance(exc, AJAXError):
            raise
        errors = exc.errors if isinstance(exc, ValidationFailed) else exc.extra.get("errors", [])
        raise AJAXError(400, SAVE_FAILED, errors=_by_field(errors)) from exc


def _by_field(errors: Any) -> dict[str, list[str]]:
    """``[{"pointer": "#/title", "detail": ...}]`` → ``{"title": [...]}``
    (Django's ``message_dict``; errors about no field go under ``__all__``)."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        where = error.get("pointer", "").removeprefix("#").strip("/").split("/")[0]
        name = where or error.get("parameter") or "__all__"
        by_field.setdefault(name, []).append(error.get("detail", ""))
    return by_field


def _set_or_clear(tags: list[str]) -> Callable[[Any], Any]:
    if tags:
        return lambda manager: manager.set(tags)
    return lambda manager: manager.clear()
