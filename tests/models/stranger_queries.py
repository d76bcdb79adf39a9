"""List queries from strangers, for the column-edge suites' property tests.

A query mixes the endpoint's filter names and list parameters with hostile
values (:mod:`tests.fuzz_strategies`) and values shaped like the column's
own (dates, addresses, codes), so both the parsers and the database see
them.  The property: never a 5xx, and a refusal is a 400 pointing at a
parameter.  Bounded (:data:`QUERY_SETTINGS`) to keep each store to a second.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ajaxkit.testing import Client
from tests.fuzz_strategies import hostile_numbers, hostile_text

__all__ = ["QUERY_SETTINGS", "answers_cleanly", "list_queries"]

#: 25 examples, the same every run; ``AJAXKIT_FUZZ_EXAMPLES=500`` runs a
#: longer, randomized hunt, as for :data:`tests.fuzz_strategies.FUZZ_SETTINGS`.
QUERY_SETTINGS = settings(
    max_examples=int(os.environ.get("AJAXKIT_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize="AJAXKIT_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_LOOKUPS = ("", "__in", "__gte", "__lte", "__isnull")


def list_queries(
    fields: tuple[str, ...], shaped: tuple[str, ...]
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Query pairs over ``fields`` (each with every public lookup) and the
    list parameters, valued hostile or like ``shaped``."""
    names = st.one_of(
        st.tuples(st.sampled_from(fields), st.sampled_from(_LOOKUPS)).map("".join),
        st.sampled_from(("ordering", "cursor", "limit", "offset", "expand")),
    )
    ordering = st.lists(st.sampled_from(fields).map(lambda f: f"-{f}"), max_size=2).map(",".join)
    value = st.one_of(
        st.sampled_from(shaped),
        st.lists(st.sampled_from(shaped), min_size=2, max_size=3).map(",".join),
        hostile_text,
        hostile_numbers,
        ordering,
    )
    return st.lists(st.tuples(names, value), min_size=1, max_size=4)


def answers_cleanly(client: Client, path: str, pairs: list[tuple[str, str]]) -> Any:
    """GET ``path`` with ``pairs``: never a 5xx, and a 400 names a parameter."""
    response = client.get(path, params=pairs)
    assert response.status < 500, (pairs, response.json())
    if response.status >= 400:
        assert response.json()["errors"][0]["parameter"], (pairs, response.json())
    return response
