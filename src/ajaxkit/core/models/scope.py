"""Row scoping through relations: what a request may see of related rows.

A model endpoint's ``get_queryset`` and ``can_get`` decide which of its rows
a request may see.  Relations are another way to reach those rows, so they
obey the same rules:

* a relation written by pk is resolved through the related endpoint's scope
  (and ``can_get``); a row outside it is the same 422 ``does_not_exist`` as
  a row that does not exist, so writes are no oracle for other users' ids
  (:func:`unreachable`);
* a record is serialized through a :class:`VisibleUnit`: related rows the
  request may not see render as ``null`` (a to-one expansion) or are left
  out (to-many lists, expanded or as pks).  Which rows are hidden is decided
  before serializing, one query per related model and expansion level
  (:func:`resolve`), and only for related endpoints that narrow
  ``get_queryset`` -- the default scope (every row) costs nothing.

A foreign key shown unexpanded is the row's own column, so it is shown as
stored.  Models with no registered endpoint are not scoped (and cannot be
expanded).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ajaxkit.core.models.endpoint import ModelEndpoint
from ajaxkit.core.models.repository import FieldInfo, Unit
from ajaxkit.exceptions import ClientError
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.core.models.query import Expand
    from ajaxkit.core.models.resource import ModelResource
    from ajaxkit.core.models.view import View

__all__ = [
    "ResourceLookup",
    "Visibility",
    "VisibleUnit",
    "resolve",
    "shown_alike",
    "unreachable",
]

#: ``model -> ModelResource`` registered for it, or ``None``.
ResourceLookup = Callable[[Any], "ModelResource | None"]


@dataclass
class Visibility:
    """The related rows one request may not see, by model."""

    hidden: dict[Any, set[Any]] = field(default_factory=dict)
    #: Rows already checked (visible or not), so a deeper level that meets
    #: them again asks no second query.
    decided: dict[Any, set[Any]] = field(default_factory=dict)

    def allows(self, model: Any, pk: Any) -> bool:
        return pk not in self.hidden.get(model, ())


class VisibleUnit:
    """A :class:`Unit` whose relations show only the rows a request may see.

    Everything but :meth:`value` and :meth:`related` is the wrapped unit's.
    """

    def __init__(self, unit: Unit, visibility: Visibility, pk_of: Callable[[Any], FieldInfo]):
        self._unit = unit
        self._visibility = visibility
        self._pk_of = pk_of

    def __getattr__(self, name: str) -> Any:
        return getattr(self._unit, name)

    def value(self, obj: Any, field: FieldInfo) -> Any:
        value = self._unit.value(obj, field)
        if field.kind != "many" or field.related_model not in self._visibility.hidden:
            return value
        return [pk for pk in value if self._visibility.allows(field.related_model, pk)]

    def related(self, obj: Any, field: FieldInfo) -> Any:
        target = self._unit.related(obj, field)
        model = field.related_model
        if model not in self._visibility.hidden or target is None:
            return target
        pk_field = self._pk_of(model)

        def shown(row: Any) -> bool:
            return self._visibility.allows(model, self._unit.value(row, pk_field))

        if field.kind != "many":
            return target if shown(target) else None
        return [row for row in target if shown(row)]


def resolve(
    unit: Unit,
    request: AjaxRequest,
    rows: Sequence[Any],
    view: View,
    expand: Expand,
    *,
    resources: ResourceLookup,
) -> Visibility:
    """Which related rows of ``rows`` (serialized with ``view`` and
    ``expand``) the request may not see; level by level, so nested
    expansions only go through visible rows."""
    visibility = Visibility()
    level: list[tuple[Sequence[Any], View, Expand]] = [(rows, view, expand)]
    while level:
        found: dict[Any, dict[Any, Any]] = {}
        below: list[tuple[list[Any], View, Expand]] = []
        for objs, current, tree in level:
            for info in current.fields:
                if info.kind == "many" or info.name in tree:
                    _collect(unit, objs, info, resources, found)
        _hide(unit, request, found, resources, visibility)
        for objs, current, tree in level:
            for name, sub in tree.items():
                relation = current.field(name)
                related = resources(relation.related_model) if relation else None
                if relation is None or related is None or not sub:
                    continue
                visible = _visible_targets(unit, objs, relation, related, visibility)
                below.append((visible, related.view, sub))
        level = [entry for entry in below if entry[0]]
    return visibility


def _targets(unit: Unit, obj: Any, info: FieldInfo) -> builtins.list[Any]:
    target = unit.related(obj, info)
    if info.kind == "many":
        return builtins.list(target)
    return [] if target is None else [target]


def _collect(
    unit: Unit,
    objs: Iterable[Any],
    info: FieldInfo,
    resources: ResourceLookup,
    found: dict[Any, dict[Any, Any]],
) -> None:
    related = resources(info.related_model)
    if related is None:
        return
    rows = found.setdefault(info.related_model, {})
    for obj in objs:
        for target in _targets(unit, obj, info):
            rows[unit.value(target, related.info.pk_field)] = target


def _visible_targets(
    unit: Unit, objs: Iterable[Any], info: FieldInfo, related: ModelResource, seen: Visibility
) -> builtins.list[Any]:
    pk_field = related.info.pk_field
    return [
        target
        for obj in objs
        for target in _targets(unit, obj, info)
        if seen.allows(info.related_model, unit.value(target, pk_field))
    ]


def _hide(
    unit: Unit,
    request: AjaxRequest,
    found: Mapping[Any, Mapping[Any, Any]],
    resources: ResourceLookup,
    visibility: Visibility,
) -> None:
    for model, rows in found.items():
        related = resources(model)
        decided = visibility.decided.setdefault(model, set())
        fresh = {pk: row for pk, row in rows.items() if pk not in decided}
        if related is None or not fresh:
            continue
        hidden = set(fresh) - reachable(unit, request, related, fresh)
        decided.update(fresh)
        if hidden:
            visibility.hidden.setdefault(model, set()).update(hidden)


def reachable(
    unit: Unit,
    request: AjaxRequest,
    related: ModelResource,
    rows: Mapping[Any, Any | None],
    key: str | None = None,
) -> set[Any]:
    """Which pks of ``rows`` (pk → the loaded row, or ``None`` when not
    loaded) the request may see through ``related``'s endpoint:
    authenticated there, inside its ``get_queryset`` and allowed by
    ``can_get``.  With ``key``, ``rows`` are keyed by that unique field's
    values instead (a relation's :attr:`FieldInfo.related_key`)."""
    endpoint = related.endpoint.bind(request)
    try:
        user = endpoint.authenticate(request)
    except ClientError:
        # Not allowed to use that endpoint at all: none of its rows.
        return set()
    loaded = dict(rows)
    if _narrows_scope(endpoint) or None in loaded.values():
        scope = endpoint.get_queryset(request)
        wanted = builtins.list(loaded)
        if key is None:
            found, key_field = unit.find(scope, related.info.model, wanted), related.info.pk_field
        else:
            found = unit.find(scope, related.info.model, wanted, key=key)
            key_field = related.info.fields[key]
        loaded = {unit.value(row, key_field): row for row in found}
    return {pk for pk, row in loaded.items() if may_get(endpoint, request, user, row)}


def may_get(endpoint: ModelEndpoint, request: AjaxRequest, user: Any, obj: Any) -> bool:
    """The one place a related row's ``can_get`` hook is called."""
    return bool(endpoint.can_get(user, obj))


def shown_alike(resource: ModelResource, info: FieldInfo) -> bool:
    """Whether field ``info`` of ``resource``'s records reads the same for
    every user who may read the record, so it can be told to many at once.

    Scalars and foreign keys (shown as stored) do.  A to-many relation does
    when its model has no endpoint, or when that endpoint hides none of its
    rows from any reader of the record: it keeps the default
    ``authenticate``, ``get_queryset`` and ``can_get``, and lets in anyone
    the record's endpoint lets in (anonymous users too, unless the record's
    endpoint refuses them the default way).  Decided from the classes alone:
    no query.
    """
    if info.kind != "many":
        return True
    related = resource.resources(info.related_model)
    if related is None:
        return True
    endpoint = type(related.endpoint)
    if any(getattr(endpoint, hook) is not getattr(ModelEndpoint, hook) for hook in _PER_READER):
        return False
    if endpoint.allow_anonymous:
        return True
    reader = type(resource.endpoint)
    return reader.authenticate is ModelEndpoint.authenticate and not reader.allow_anonymous


#: The hooks through which an endpoint shows different rows to different users.
_PER_READER = ("authenticate", "get_queryset", "can_get")


def _narrows_scope(endpoint: ModelEndpoint) -> bool:
    # An endpoint keeping the default scope sees every row: no query to ask.
    return type(endpoint).get_queryset is not ModelEndpoint.get_queryset


def unreachable(
    unit: Unit, request: AjaxRequest, related: ModelResource | None, info: FieldInfo, pks: Any
) -> builtins.list[Any]:
    """Which of ``pks`` (written to relation ``info``) name no row the
    request may see; rows outside the related endpoint's scope count as
    missing."""
    wanted = builtins.list(pks)
    if not wanted:
        return []
    key = info.related_key
    if related is None:
        if key is None:
            return unit.missing(info.related_model, wanted)
        return unit.missing(info.related_model, wanted, key=key)
    allowed = reachable(unit, request, related, dict.fromkeys(wanted), key)
    return [pk for pk in wanted if pk not in allowed]
