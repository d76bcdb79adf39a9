"""Values no column can hold and pks no row can have: clear 4xx, never 500, on every transport.

(Query-string limits, integer filters and cursors: ``test_query_limits.py``.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.backends import Backend

INT32_OVER = 2**31
INT64_OVER = 2**63
HUGE = "99999999999999999999"


def note_count(client: Any) -> int:
    return int(client.get("/ajax/notes").json()["count"])


# -- integers over the column's range --------------------------------------------


@pytest.mark.parametrize("field", ["priority", "author"])
def test_write_over_64_bits_is_422(client: Any, field: str) -> None:
    response = client.post("/ajax/notes", json={"title": "big", field: INT64_OVER})
    assert response.status == 422, response.json()
    assert response.json()["errors"][0]["pointer"] == f"#/{field}"
    assert note_count(client) == 0


def test_write_over_the_columns_range_is_422_where_the_database_has_one(
    client: Any, backend: Backend
) -> None:
    response = client.post("/ajax/notes", json={"title": "big", "priority": INT32_OVER})
    if backend.name.endswith("postgres"):
        # integer is 32-bit on PostgreSQL ...
        assert response.status == 422, response.json()
        assert response.json()["errors"][0]["pointer"] == "#/priority"
        assert note_count(client) == 0
    else:
        # ... while SQLite stores 64 bits in any integer column.
        assert response.status == 201, response.json()
        assert response.json()["priority"] == INT32_OVER


@pytest.mark.parametrize("pk", [str(INT64_OVER), HUGE, str(-(2**63) - 1)])
def test_pk_over_the_range_is_404(client: Any, pk: str) -> None:
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"/ajax/notes/{pk}")
        assert response.status == 404, (method, response.json())


def test_pk_over_32_bits_is_404_on_postgres(client: Any, backend: Backend) -> None:
    response = client.get(f"/ajax/notes/{INT32_OVER}")
    assert response.status == 404, response.json()


# -- NUL -----------------------------------------------------------------------------


def test_nul_in_a_text_pk_is_404(client: Any) -> None:
    client.post("/ajax/tags", json={"slug": "a", "label": "A"})
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)("/ajax/tags/a%00b")
        assert response.status == 404, (method, response.json())
