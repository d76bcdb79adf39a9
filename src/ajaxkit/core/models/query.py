"""List query parameters → one neutral :class:`ListQuery`.

The grammar (documented in ``docs/models.md``)::

    limit=<1..max_limit>  offset=<0..2**62>  cursor=<opaque>  search=<text>
    ordering=<field>,-<field>  expand=<relation>[.<relation>...],...
    <field>=<v>  <field>__in=<v>,<v>  <field>__gte=<v>  <field>__lte=<v>
    <field>__isnull=true|false

Anything else is refused with 400 and a ``parameter`` pointer, never
ignored: a misspelt filter that silently returned every row would be worse
than an error.  Parameters starting with ``_`` (jQuery's ``_=<timestamp>``
cache buster) are the one exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from ajaxkit.core.digits import parse_natural
from ajaxkit.core.fielderrors import field_errors
from ajaxkit.core.models.bounds import bounded_type
from ajaxkit.core.models.cursor import CursorCodec
from ajaxkit.core.models.limits import QueryLimits, check_limits
from ajaxkit.core.models.repository import FieldInfo
from ajaxkit.exceptions import ClientError, FieldError
from ajaxkit.types import MultiDict

__all__ = [
    "Expand",
    "Filter",
    "ListQuery",
    "Lookup",
    "Order",
    "QueryRules",
    "parse_list_query",
]

Lookup = Literal["exact", "in", "gte", "lte", "isnull", "gt", "lt"]
#: Lookups a client may name (``gt``/``lt`` only come from cursors).
PUBLIC_LOOKUPS: frozenset[str] = frozenset({"exact", "in", "gte", "lte", "isnull"})
RESERVED = frozenset({"limit", "offset", "cursor", "search", "ordering", "expand"})
#: The largest ``offset``: a signed 64-bit column type is what SQL's OFFSET
#: takes, and the page's limit is added to it.
MAX_OFFSET = 2**62

#: relation name → what to expand below it.
Expand = Mapping[str, "Expand"]


@dataclass(frozen=True)
class Filter:
    """``field <lookup> value``; for ``in`` the value is a tuple."""

    field: str
    lookup: Lookup
    value: Any


@dataclass(frozen=True)
class Order:
    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for, in terms every repository understands.

    Attributes:
        filters: all must hold.
        search: text to find (case-insensitively) in any of ``search_fields``.
        ordering: the sort, always ending with the primary key so that
            pages are stable and keyset cursors are exact.
        keyset: from a cursor: rows after the cursor's row, as an OR of
            ANDs of filters.
        limit: page size (the repository fetches one more row).
        offset: rows to skip (never combined with a cursor).
        expand: relations to include as nested records.
    """

    filters: tuple[Filter, ...] = ()
    search: str = ""
    search_fields: tuple[str, ...] = ()
    ordering: tuple[Order, ...] = ()
    keyset: tuple[tuple[Filter, ...], ...] = ()
    limit: int = 20
    offset: int = 0
    expand: Expand = field(default_factory=dict)
    cursor: bool = False


@dataclass(frozen=True)
class QueryRules:
    """An endpoint's list rules, resolved against the model at registration.

    Attributes:
        fields: every field of the model by name.
        pk: the primary key's name.
        filter_fields: names clients may filter on.
        search_fields: names searched by ``search=``.
        ordering_fields: names clients may order by.
        default_ordering: used when the client names none.
        default_limit: page size when ``limit`` is absent.
        max_limit: the largest accepted ``limit``.
        expand: checks and parses ``expand=`` (raises :class:`ClientError`).
        shown: the fields a record shows: a cursor carries ordering values,
            so only an ordering on these pages by cursor.
        limits: the size limits of search, ordering and filters.
        cursors: signs and checks this endpoint's cursors.
    """

    fields: Mapping[str, FieldInfo]
    pk: str
    filter_fields: frozenset[str]
    search_fields: tuple[str, ...]
    ordering_fields: frozenset[str]
    default_ordering: tuple[Order, ...]
    default_limit: int
    max_limit: int
    expand: Callable[[str], Expand]
    shown: frozenset[str]
    limits: QueryLimits = field(default_factory=QueryLimits)
    cursors: CursorCodec = field(default_factory=CursorCodec)


def bad_parameter(name: str, detail: str, code: str = "invalid_parameter") -> ClientError:
    """A 400 whose ``errors`` point at query parameter ``name``."""
    error: FieldError = {"parameter": name, "detail": detail, "code": code}
    return ClientError(detail, errors=[error])


def parse_list_query(params: MultiDict, rules: QueryRules) -> ListQuery:
    """Parse a list request's query string, or raise a 400 naming the parameter."""
    for name, value in params.multi_items():
        if "\x00" in value:
            # No database stores NUL in text; refuse it here rather than let
            # the driver fail with a 500.
            raise bad_parameter(name, "The value contains a NUL character.")
    filter_names = _filter_names(params)
    check_limits(params, filter_names, rules.limits)
    _check_filter_names(filter_names, rules)
    # An empty value is no value (rule B13): a GET filter form sends every
    # field, its "any" choice empty, as django-filter reads it.
    params = MultiDict([(name, value) for name, value in params.multi_items() if value != ""])
    ordering = _ordering(params.get("ordering"), rules)
    cursor = params.get("cursor")
    if cursor is not None and "offset" in params:
        raise bad_parameter("cursor", "Use either cursor or offset, not both.")
    return ListQuery(
        filters=_filters(params, rules),
        search=params.get("search", "").strip(),
        search_fields=rules.search_fields,
        ordering=ordering,
        keyset=_keyset(cursor, ordering, rules) if cursor is not None else (),
        limit=_integer(params, "limit", rules.default_limit, 1, rules.max_limit),
        offset=_integer(params, "offset", 0, 0, MAX_OFFSET),
        expand=rules.expand(params.get("expand", "")),
        cursor=cursor is not None,
    )


def _integer(params: MultiDict, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    value = parse_natural(raw, high)
    if value is None:
        raise bad_parameter(name, f"{name} must be a whole number >= {low}.")
    if not low <= value <= high:
        raise bad_parameter(name, f"{name} must be >= {low} and <= {high}.")
    return value


def _filter_names(params: MultiDict) -> list[str]:
    return [name for name in params if name not in RESERVED and not name.startswith("_")]


def _ordering(raw: str | None, rules: QueryRules) -> tuple[Order, ...]:
    if not raw:
        orders = list(rules.default_ordering)
    else:
        orders = []
        for part in (p.strip() for p in raw.split(",")):
            name = part.removeprefix("-")
            if name not in rules.ordering_fields:
                raise bad_parameter(
                    "ordering",
                    f"Cannot order by {name!r}; allowed: {_names(rules.ordering_fields)}.",
                )
            if not any(o.field == name for o in orders):
                # A repeated field cannot change the order, only its cost.
                orders.append(Order(name, part.startswith("-")))
    if not any(o.field == rules.pk for o in orders):
        orders.append(Order(rules.pk))
    return tuple(orders)


def _check_filter_names(names: list[str], rules: QueryRules) -> None:
    """Every filter names a filter field and a lookup, whatever its value."""
    for name in names:
        field_name, separator, lookup = name.partition("__")
        if field_name not in rules.filter_fields:
            raise bad_parameter(
                name, f"Cannot filter on {field_name!r}; allowed: {_names(rules.filter_fields)}."
            )
        # "status__" names no lookup: read as exact, a misspelling passed.
        if (lookup or ("" if separator else "exact")) not in PUBLIC_LOOKUPS:
            raise bad_parameter(
                name, f"Unknown lookup {lookup!r}; use one of exact, in, gte, lte, isnull."
            )


def _filters(params: MultiDict, rules: QueryRules) -> tuple[Filter, ...]:
    filters = []
    for name in _filter_names(params):
        field_name, _, lookup = name.partition("__")
        lookup = lookup or "exact"
        info = rules.fields[field_name]
        values = [_filter_value(name, info, lookup, raw) for raw in params.getlist(name)]
        if lookup in _ANY_OF and len(values) > 1:
            # A checkbox group sends status=a&status=b and means either, as
            # django-filter reads it: all at once would match no row.
            chosen = [v for value in values for v in (value if lookup == "in" else (value,))]
            filters.append(Filter(field_name, "in", tuple(chosen)))
        else:
            filters.extend(Filter(field_name, lookup, value) for value in values)  # type: ignore[arg-type]
    return tuple(filters)


#: Lookups whose repeated values are alternatives; bounds (gte, lte) combine.
_ANY_OF = frozenset({"exact", "in"})


def _filter_value(param: str, info: FieldInfo, lookup: str, raw: str) -> Any:
    if lookup == "isnull":
        return _convert(param, bool, raw)
    value_type = bounded_type(info)
    if lookup == "in":
        return tuple(
            _chosen(param, info, _convert(param, value_type, v)) for v in raw.split(",") if v != ""
        )
    return _chosen(param, info, _convert(param, value_type, raw))


def _chosen(param: str, info: FieldInfo, value: Any) -> Any:
    """``value``, if the field has no choices or it is one of them.

    A PostgreSQL enum compares with its own members only: anything else
    failed the query ("invalid input value for enum"), a 500.
    """
    if info.choices is None or value in info.choices:
        return value
    allowed = ", ".join(sorted(str(choice) for choice in info.choices))
    raise bad_parameter(param, f"Invalid value {value!r} for {param}: use one of {allowed}.")


def _convert(param: str, python_type: Any, raw: Any) -> Any:
    try:
        return _adapter(python_type).validate_python(raw)
    except ValidationError as exc:
        errors = field_errors(exc, prefix=(param,), is_parameter=lambda _: True)
        detail = f"Invalid value {raw!r} for {param}: {errors[0]['detail']}."
        raise ClientError(detail, errors=errors) from exc


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(python_type: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(python_type)
    if adapter is None:
        adapter = _ADAPTERS[python_type] = TypeAdapter(python_type)
    return adapter


def convert_value(param: str, python_type: Any, raw: Any) -> Any:
    """Convert a raw parameter (a pk from the path, say) to ``python_type``, or 400."""
    return _convert(param, python_type, raw)


def _names(names: frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "none"


# -- cursors ---------------------------------------------------------------


def cursor_allowed(ordering: Sequence[Order], rules: QueryRules) -> bool:
    """Keyset pagination needs non-null sort keys (NULLs do not compare) that
    the records show: a cursor is signed, not encrypted, and carries the last
    row's value of every key, which anyone can read by decoding it."""
    return all(o.field in rules.shown and not rules.fields[o.field].nullable for o in ordering)


def _keyset(
    raw: str, ordering: tuple[Order, ...], rules: QueryRules
) -> tuple[tuple[Filter, ...], ...]:
    if not cursor_allowed(ordering, rules):
        raise bad_parameter(
            "cursor", "Cursor pagination needs an ordering on non-null fields the records show."
        )
    spec, values = rules.cursors.decode(raw)
    if spec != [str(o) for o in ordering] or len(values) != len(spec):
        raise bad_parameter(
            "cursor", "The cursor does not belong to this ordering.", "malformed_cursor"
        )
    typed = [
        _convert("cursor", bounded_type(rules.fields[o.field]), v)
        for o, v in zip(ordering, values, strict=True)
    ]
    return keyset_clauses(ordering, typed)


def keyset_clauses(
    ordering: Sequence[Order], values: Sequence[Any]
) -> tuple[tuple[Filter, ...], ...]:
    """Rows after ``values`` in ``ordering``: for each position i, equal on the
    keys before i and strictly after on key i."""
    clauses = []
    for i, order in enumerate(ordering):
        equal = tuple(
            Filter(o.field, "exact", v) for o, v in zip(ordering[:i], values[:i], strict=True)
        )
        after = Filter(order.field, "lt" if order.descending else "gt", values[i])
        clauses.append((*equal, after))
    return tuple(clauses)
