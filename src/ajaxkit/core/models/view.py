"""Views of models: which fields a record shows, expansion, serialization.

A :class:`View` is a model seen through one endpoint's ``fields``.  Records
are built here, once for every ORM, from the values the repository's
:class:`~ajaxkit.core.models.repository.Unit` reads, so Django and
SQLAlchemy give the same JSON for the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ajaxkit.core.models.query import Expand, bad_parameter
from ajaxkit.core.models.repository import FieldInfo, LoadPlan, ModelInfo, Unit

__all__ = ["View", "parse_expand", "plan_for", "serialize"]

#: ``model -> View`` of the endpoint registered for it, or ``None``.
ViewLookup = Callable[[Any], "View | None"]


@dataclass(frozen=True)
class View:
    """A model and the fields one endpoint exposes of it, in order."""

    info: ModelInfo
    fields: tuple[FieldInfo, ...]

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


def parse_expand(raw: str, view: View, lookup: ViewLookup, max_depth: int) -> dict[str, Any]:
    """``"author,comments.author"`` → ``{"author": {}, "comments": {"author": {}}}``.

    Only exposed relations whose model has a registered endpoint expand (its
    ``fields`` decide what is shown), so expansion never reveals columns no
    endpoint chose to expose.
    """
    tree: dict[str, Any] = {}
    for path in filter(None, (p.strip() for p in raw.split(","))):
        parts = path.split(".")
        if len(parts) > max_depth:
            raise bad_parameter("expand", f"{path!r} is deeper than {max_depth} levels.")
        node, current = tree, view
        for part in parts:
            relation = current.field(part)
            related = lookup(relation.related_model) if relation and relation.is_relation else None
            if relation is None or related is None:
                raise bad_parameter(
                    "expand", f"Cannot expand {path!r}: {part!r} is not expandable."
                )
            node, current = node.setdefault(part, {}), related
    return tree


def plan_for(view: View, expand: Expand, lookup: ViewLookup) -> LoadPlan:
    """What to load with rows of ``view`` so that serializing them with
    ``expand`` needs no further query."""
    many = frozenset(f.name for f in view.fields if f.kind == "many" and f.name not in expand)
    nested = {}
    for name, sub in expand.items():
        relation = view.field(name)
        assert relation is not None
        related = lookup(relation.related_model)
        assert related is not None
        nested[name] = plan_for(related, sub, lookup)
    return LoadPlan(many=many, expand=nested)


def serialize(
    unit: Unit, obj: Any, view: View, expand: Expand, lookup: ViewLookup
) -> dict[str, Any]:
    """The record of ``obj``: exposed fields, relations as pks unless expanded."""
    record: dict[str, Any] = {}
    for info in view.fields:
        if info.name in expand:
            record[info.name] = _expanded(unit, obj, info, expand[info.name], lookup)
        elif info.kind == "many":
            record[info.name] = _sorted(unit.value(obj, info))
        else:
            record[info.name] = unit.value(obj, info)
    return record


def _expanded(unit: Unit, obj: Any, info: FieldInfo, expand: Expand, lookup: ViewLookup) -> Any:
    related = lookup(info.related_model)
    assert related is not None
    target = unit.related(obj, info)
    if info.kind != "many":
        return None if target is None else serialize(unit, target, related, expand, lookup)
    pk_field = related.info.pk_field
    # Both ORMs load to-many rows in no promised order; sort by pk so the
    # same data is always the same JSON (and the same ETag).
    rows = sorted(target, key=lambda row: unit.value(row, pk_field))
    return [serialize(unit, row, related, expand, lookup) for row in rows]


def _sorted(values: Any) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)
