"""Rule O11: every answer is one the OpenAPI document describes.

Requests are made from each documented operation's parameters and bodies
(valid ones and ones with one thing wrong: a member missing, a hostile
value, an unknown member, a body that is no JSON object) and sent through
the client; each answer's status must be documented (or fall under
``default``), its media type must be the documented one, and its body must
validate against the documented schema (:mod:`tests.conformance.contract`).
The conformance app and the demo are both held to their documents.

O1 proves the document identical on every integration, so the reference
client (no framework, the fastest) gets the most examples and the others a
lighter pass over every operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from examples.demo import users
from examples.demo.api import create_api
from examples.demo.database import open_database, sqlite_url
from tests.conformance.clients.base import Client
from tests.conformance.contract import Call, Contract, Requests

#: Routes whose answers are, on purpose, not what a handler can document:
#: ``native`` answers a framework's own 418 ``text/plain`` response, and
#: ``status/invalid`` whatever status its caller names (1xx included).
UNDOCUMENTABLE = re.compile(r"^/(native|status/invalid)$")
#: Held open until a timer ends them: checked once each, below.
LIVE_TRANSPORTS = re.compile(r"^/_live/")
#: Examples per operation: the reference client's, and every other client's.
EXAMPLES = {"reference": 6}
LIGHT_EXAMPLES = 2


def served(client: Client, mount: str = "/ajax") -> dict[str, Any]:
    response = client.get(f"{mount}/_openapi.json")
    assert response.status == 200
    document: dict[str, Any] = response.json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``(path, method)`` the document lists, less the two kinds above."""
    return [
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if not UNDOCUMENTABLE.search(path) and not LIVE_TRANSPORTS.search(path)
    ]


def unheld_answers(client: Client, mount: str = "/ajax") -> list[str]:
    """Every operation of the mount's document, called; what its answers break."""
    contract = Contract(served(client, mount))
    requests = Requests(contract)
    examples = EXAMPLES.get(client.name, LIGHT_EXAMPLES)
    failures: list[str] = []
    for path, method in operations(contract.document):

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(call=requests.calls(path, method))
        def check(call: Call) -> None:
            response = call.send(client, mount)
            found = contract.mismatches(path, method, response)
            assert not found, (call, response.status, response.content[:200], found)

        try:
            check()
        except AssertionError as failed:
            failures.append(f"{method.upper()} {path}: {failed}")
    client.logout()
    return failures


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    engine = open_database(sqlite_url(tmp_path_factory.mktemp("contract") / "demo.sqlite3"))
    users.create_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo(client_class: type[Client], demo_database: Any) -> Iterator[Client]:
    client = client_class(apis={"/ajax": create_api(demo_database)})
    try:
        yield client
    finally:
        client.close()


def test_O11_conformance_answers_are_documented(client: Client) -> None:
    assert not (failures := unheld_answers(client)), "\n".join(failures)


def test_O11_demo_answers_are_documented(demo: Client) -> None:
    assert not (failures := unheld_answers(demo)), "\n".join(failures)
