"""Fuzzing model endpoints from their document: records must match their schema.

The model suite's spec (notes, authors, tags, ... on SQLite through
SQLAlchemy) is served by Starlette and called logged in, so writes reach
the database and every answer is checked against the record schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from ajaxkit.core.openapi import openapi_document
from tests.conformance.clients.starlette_client import starlette_app
from tests.models.backends import SQLAlchemyBackend
from tests.models.spec import build_api
from tests.openapi.test_schemathesis import CHECKS, MAX_EXAMPLES

pytestmark = pytest.mark.starlette

#: Logged in through the conformance app's cookie backend (tests only).
LOGIN = {"Cookie": "test_user=alice"}


@pytest.fixture(scope="module")
def backend() -> Iterator[SQLAlchemyBackend]:
    found = SQLAlchemyBackend("sqlite")
    try:
        yield found
    finally:
        found.close()


def operations() -> list[tuple[str, str]]:
    """``(path, method)`` of every operation of the model spec's document."""
    backend = SQLAlchemyBackend("sqlite")
    try:
        document = openapi_document(build_api(backend, []), "/ajax")
    finally:
        backend.close()
    return [(path, method) for path, item in document["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), operations(), ids=str)
def test_model_answers_match_their_schema(
    backend: SQLAlchemyBackend, path: str, method: str
) -> None:
    backend.reset()
    app = starlette_app({"/ajax": build_api(backend, [])})
    operation = schemathesis.openapi.from_asgi("/ajax/_openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=LOGIN, checks=CHECKS)

    call()
