"""The size of a to-many relation a write may name: refused with a 422, never a 500.

A to-many write is checked against the related rows in one query whose
parameters are the pks sent: PostgreSQL takes at most 65,535 parameters in
a statement, so a body listing more (a 700 kB JSON list, well under
``max_body_size``) failed the write with a 500.  Writes are the model
layer's, the same under every transport: the reference client over every
backend is enough.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ajaxkit.core.models import ModelEndpoint
from tests.fuzz_strategies import FUZZ_SETTINGS
from tests.models.backends import Backend

#: Over PostgreSQL's 65,535 parameters in one statement.
OVER_POSTGRES = 70_000
LIMIT = ModelEndpoint.max_relation_values


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    return reference_combination


def _too_long(response: Any) -> None:
    assert response.status == 422, response.content[:300]
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("#/tags", "too_long")]
    assert str(LIMIT) in errors[0]["detail"]


def test_more_related_pks_than_the_limit_are_422(client: Any) -> None:
    tags = [f"t{i}" for i in range(OVER_POSTGRES)]
    _too_long(client.post("/ajax/notes", json={"title": "many", "tags": tags}))
    created = client.post("/ajax/notes", json={"title": "few"})
    assert created.status == 201
    pk = created.json()["id"]
    _too_long(client.patch(f"/ajax/notes/{pk}", json={"tags": tags}))
    assert client.get("/ajax/notes").json()["count"] == 1


def test_the_limit_itself_is_not_refused_for_its_size(client: Any) -> None:
    # None of these tags exists: the answer is about the rows, not the size.
    tags = [f"t{i}" for i in range(LIMIT)]
    response = client.post("/ajax/notes", json={"title": "at the limit", "tags": tags})
    assert response.status == 422
    assert [e["code"] for e in response.json()["errors"]] == ["does_not_exist"]


def test_any_oversized_relation_write_is_422_never_500(client: Any) -> None:
    @FUZZ_SETTINGS
    @given(
        extra=st.integers(min_value=1, max_value=2 * LIMIT),
        pk=st.one_of(st.text(max_size=3), st.integers(), st.booleans()),
    )
    def check(extra: int, pk: Any) -> None:
        tags = [pk] * (LIMIT + extra)
        _too_long(client.post("/ajax/notes", json={"title": "x", "tags": tags}))

    check()
