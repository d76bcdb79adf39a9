"""Fuzzing the conformance app from its own OpenAPI document with schemathesis.

Every operation the document lists is called with inputs generated from
its schemas; no answer may be a 5xx and every answer must match the schema
documented for its status.  Routes that misbehave on purpose (the
conformance suite's deliberate 500s, statuses outside the document,
streams and the long-lived live transports) are left out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conformance.app import conformance_apis
from tests.conformance.test_fuzz import DELIBERATE

#: Routes left out, as regular expressions over the documented paths.
SKIPPED = "|".join(
    [
        *(f"^/{route.replace('{kind}', '[^/]+')}$" for route in sorted(DELIBERATE)),
        "^/status/",  # answer statuses their annotations cannot say, on purpose
        "^/stream/",  # streams, checked by the T rules
        "^/live/server-kind$",  # a stream too
        # A test helper publishing what it is told: server code naming an
        # invalid topic is a programming error (a 500) by design.
        "^/live/publish$",
        "^/_live/",  # SSE and long-poll hold the connection open for seconds
    ]
)
CHECKS = [not_a_server_error, response_schema_conformance]
#: Per operation and framework: enough to try each parameter's edges, and
#: few enough that the whole file runs in seconds.
MAX_EXAMPLES = 6


def starlette_app() -> Any:
    from tests.conformance.clients.starlette_client import NATIVES, starlette_app

    return starlette_app(conformance_apis(NATIVES))


def django_app() -> Any:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        # Per call, so the conformance urlconf never outlives the request.
        with override_settings(ROOT_URLCONF="tests.django_project.conformance_urls"):
            return handler(environ, start_response)

    return app


def flask_app() -> Any:
    from tests.conformance.clients.flask_client import NATIVES, create_app

    return create_app(conformance_apis(NATIVES))


LOADERS: dict[str, tuple[Callable[[], Any], Callable[..., Any]]] = {
    "starlette": (starlette_app, schemathesis.openapi.from_asgi),
    "django": (django_app, schemathesis.openapi.from_wsgi),
    "flask": (flask_app, schemathesis.openapi.from_wsgi),
}


def operations() -> list[tuple[str, str]]:
    """``(path, method)`` of every fuzzed operation, read off the reference document."""
    from tests.conformance.test_openapi import reference_document

    paths = reference_document()["paths"]
    found = [(path, method) for path, item in paths.items() for method in item]
    return [(path, method) for path, method in found if not re.search(SKIPPED, path)]


@functools.cache
def loaded(framework: str) -> Any:
    """The framework's schema, as schemathesis reads it from the running app."""
    build, load = LOADERS[framework]
    return load("/ajax/_openapi.json", build())


FRAMEWORKS = [
    pytest.param("starlette", marks=pytest.mark.starlette),
    pytest.param("django", marks=pytest.mark.django),
    pytest.param("flask", marks=pytest.mark.flask),
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(("path", "method"), operations(), ids=str)
def test_no_5xx_and_every_answer_matches_its_schema(framework: str, path: str, method: str) -> None:
    operation = loaded(framework)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    call()
