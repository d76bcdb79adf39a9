"""Size limits on list queries, so no query string can cost the database more than a page.

Each limit is a ``ModelEndpoint`` class attribute with a sane default:

* ``max_search_length`` -- characters of ``search=`` (SQLite refuses LIKE
  patterns over 50,000 bytes; any database scans slower the longer it is);
* ``max_ordering_terms`` -- terms of ``ordering=`` (repeated fields are
  dropped first: ``title,title`` orders by title once);
* ``max_filter_values`` -- filter values in one request, ``__in`` lists
  counted value by value;
* ``max_filter_length`` -- characters of one filter value.

Going over one is a client error naming the parameter, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from ajaxkit.exceptions import ClientError, FieldError
from ajaxkit.types import MultiDict

__all__ = ["QueryLimits", "check_limits"]


@dataclass(frozen=True)
class QueryLimits:
    """An endpoint's list-query limits (see the module docstring)."""

    max_search_length: int = 200
    max_ordering_terms: int = 8
    max_filter_values: int = 100
    max_filter_length: int = 1000


def check_limits(params: MultiDict, filters: list[str], limits: QueryLimits) -> None:
    """Refuse a query string over ``limits``; ``filters`` are the names of
    its filter parameters."""
    search = params.get("search", "")
    if len(search) > limits.max_search_length:
        raise bad_parameter(
            "search", f"search is longer than {limits.max_search_length} characters.", "too_long"
        )
    ordering = params.get("ordering", "")
    if ordering.count(",") >= limits.max_ordering_terms:
        raise bad_parameter(
            "ordering", f"ordering has more than {limits.max_ordering_terms} terms.", "too_many"
        )
    _check_filters(params, filters, limits)


def bad_parameter(name: str, detail: str, code: str) -> ClientError:
    # query.bad_parameter's shape; query imports this module, not the reverse.
    error: FieldError = {"parameter": name, "detail": detail, "code": code}
    return ClientError(detail, errors=[error])


def _check_filters(params: MultiDict, filters: list[str], limits: QueryLimits) -> None:
    count = 0
    for name in filters:
        for raw in params.getlist(name):
            values = raw.split(",") if name.endswith("__in") else [raw]
            count += len(values)
            if count > limits.max_filter_values:
                raise bad_parameter(
                    name, f"More than {limits.max_filter_values} filter values.", "too_many"
                )
            if any(len(v) > limits.max_filter_length for v in values):
                raise bad_parameter(
                    name,
                    f"A filter value is longer than {limits.max_filter_length} characters.",
                    "too_long",
                )
