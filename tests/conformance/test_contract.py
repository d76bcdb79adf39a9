"""Rule O11: every answer is one the OpenAPI document describes.

Requests are made from each documented operation's parameters and bodies
(valid ones and ones with one thing wrong: a member missing, a hostile
value, an unknown member, a body that is no JSON object) and sent through
the client; each answer's status must be documented (or fall under
``default``), its media type must be the documented one, and its body must
validate against the documented schema (:mod:`tests.conformance.contract`).
A handler must also bind what was made as documented (O2): no 400, 415 or
422 for a valid request.
The conformance app and the demo are both held to their documents.

O1 proves the document identical on every integration, so the reference
client (no framework, the fastest) gets the most examples and the others a
lighter pass over every operation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from ajaxkit import Ajax, AjaxRequest
from examples.demo import users
from examples.demo.api import create_api
from examples.demo.database import open_database, sqlite_url
from tests.conformance.clients.base import Client, Response
from tests.conformance.contract import Call, Contract, Requests

#: Routes whose answers are, on purpose, not what a handler can document:
#: ``native`` answers a framework's own 418 ``text/plain`` response,
#: ``native/stream`` the framework's own streamed ``text/plain``,
#: ``native/binary`` and ``native/latin1`` its own ``image/png`` and
#: ``text/plain`` bytes, and ``status/invalid`` whatever status its caller
#: names (1xx included).
UNDOCUMENTABLE = re.compile(r"^/(native|native/stream|native/binary|native/latin1|status/invalid)$")
#: Held open until a timer ends them: checked once each, below.
LIVE_TRANSPORTS = re.compile(r"^/_live/")
#: What a request made as the document says must never get from a handler.
MALFORMED = frozenset({400, 415, 422})
#: Refusals of a well-formed write for the rows it names (a related row that
#: does not exist, a value another row holds): no document can say which
#: rows exist, so these answer the data, not the request's form.
DATA_REFUSALS = frozenset({"does_not_exist", "unique"})
#: Examples per operation: the reference client's, and every other client's.
#: ``AJAXKIT_FUZZ_EXAMPLES=200`` runs a longer, randomized hunt on every client.
HUNT = os.environ.get("AJAXKIT_FUZZ_EXAMPLES")
EXAMPLES = {"reference": 8}
LIGHT_EXAMPLES = 1


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
    examples = int(HUNT) if HUNT else EXAMPLES.get(client.name, LIGHT_EXAMPLES)
    failures: list[str] = []
    for path, method in operations(contract.document):

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=HUNT is None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(call=requests.calls(path, method))
        def check(call: Call) -> None:
            response = call.send(client, mount)
            found = contract.mismatches(path, method, response)
            if call.valid and _malformed(response):
                found.append("a request made as documented was refused as malformed (O2)")
            assert not found, (call, response.status, response.content[:200], found)

        try:
            check()
        except AssertionError as failed:
            failures.append(f"{method.upper()} {path}: {failed}")
    client.logout()
    return failures


def _malformed(response: Response) -> bool:
    """Whether ``response`` refuses its request's form (O2), not its data."""
    if response.status not in MALFORMED:
        return False
    if response.status != 422:
        return True
    codes = {error.get("code") for error in response.json().get("errors", [])}
    return not codes or not codes <= DATA_REFUSALS


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


#: Documents already found valid OpenAPI, as sorted JSON: each client serves
#: the demo's, and the validator takes a quarter of a second a document.
VALID_DOCUMENTS: set[bytes] = set()


def validated(document: dict[str, Any]) -> None:
    """Validate ``document`` as OpenAPI 3.1, unless an equal one already was."""
    text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    if text not in VALID_DOCUMENTS:
        validate(document)
        VALID_DOCUMENTS.add(text)


def test_O11_demo_answers_are_documented(demo: Client) -> None:
    validated(served(demo))  # O1 for the demo's document: valid OpenAPI 3.1
    assert not (failures := unheld_answers(demo)), "\n".join(failures)


# --- the answers random requests rarely reach -----------------------------------------


def test_O11_model_answers_are_documented(client: Client) -> None:
    contract = Contract(served(client))
    held = contract.held
    held("/items", "GET", client.get("/ajax/items"))  # 401: anonymous
    client.login("alice")
    for title in ("first", "second", "third"):
        created = client.post("/ajax/items", json={"title": title})
        held("/items", "POST", created)
    pk = created.json()["id"]
    page = client.get("/ajax/items", params={"limit": 2, "ordering": "-id"})
    held("/items", "GET", page)
    held("/items", "GET", client.get("/ajax/items", params={"cursor": "not-a-cursor"}))
    held("/items", "GET", client.get("/ajax/items", params={"ordering": "nowhere"}))
    item = f"/items/{pk}"
    found = client.get("/ajax" + item, params={"expand": "marks"})
    held(item, "GET", found)
    etag = found.headers["etag"]
    held(item, "GET", client.get("/ajax" + item, headers={"If-None-Match": etag}))
    held(item, "HEAD", client.request("HEAD", "/ajax" + item))
    stale = {"If-Match": '"stale"'}
    held(item, "PATCH", client.patch("/ajax" + item, json={"title": "x"}, headers=stale))
    held(item, "PATCH", client.patch("/ajax" + item, json={"title": 5}))
    updated = client.patch("/ajax" + item, json={"title": "x"}, headers={"If-Match": etag})
    held(item, "PATCH", updated)
    held(item, "PUT", client.put("/ajax" + item, json={"title": "y", "marks": []}))
    held(item, "DELETE", client.delete("/ajax" + item, headers=stale))
    held(item, "DELETE", client.delete("/ajax" + item))
    held(item, "GET", client.get("/ajax" + item))  # 404
    held(item, "DELETE", client.delete("/ajax" + item))  # 404


def test_O11_demo_model_answers_are_documented(demo: Client) -> None:
    # require_if_match (428) and idempotency="required" (the header).
    contract = Contract(served(demo))
    held = contract.held
    key = iter(f"contract-{n}" for n in range(100))
    person = {"name": "Ada Lovelace", "email": "ada@example.org", "role": "engineer"}
    held("/people", "POST", demo.post("/ajax/people", json=person))  # 400: no key
    created = demo.post("/ajax/people", json=person, headers={"Idempotency-Key": next(key)})
    held("/people", "POST", created)
    held("/people", "GET", demo.get("/ajax/people", params={"limit": 1}))
    item = f"/people/{created.json()['id']}"
    etag = demo.get("/ajax" + item).headers["etag"]
    change = {"role": "manager"}
    keyed = {"Idempotency-Key": next(key)}
    held(item, "PATCH", demo.patch("/ajax" + item, json=change, headers=keyed))  # 428
    again = {**keyed, "If-Match": etag}
    held(item, "PATCH", demo.patch("/ajax" + item, json={"role": "boss"}, headers=again))  # reused
    fresh = {"Idempotency-Key": next(key), "If-Match": etag}
    held(item, "PATCH", demo.patch("/ajax" + item, json=change, headers=fresh))
    held(item, "DELETE", demo.delete("/ajax" + item))  # 428
    etag = demo.get("/ajax" + item).headers["etag"]
    held(item, "DELETE", demo.delete("/ajax" + item, headers={"If-Match": etag}))


def test_O11_refusals_before_any_handler_are_documented(client: Client) -> None:
    contract = Contract(served(client))
    held = contract.held
    # 405: the path is documented, the method is not; default covers it.
    response = client.delete("/ajax/hello")
    assert response.status == 405
    assert not contract.mismatches("/hello", "GET", response)
    held("/hello", "HEAD", client.request("HEAD", "/ajax/hello"))
    held("/echo", "POST", client.post("/ajax/echo", content=b"x" * (1024 * 1024 + 1)))  # 413
    text = {"Content-Type": "text/plain"}
    held(
        "/params/required", "POST", client.post("/ajax/params/required", content=b"x", headers=text)
    )
    held("/whoami", "GET", client.get("/ajax/whoami"))  # 401
    client.login("alice")
    held("/admin-only", "GET", client.get("/ajax/admin-only"))  # 403
    held("/whoami", "GET", client.get("/ajax/whoami"))
    held("/errors/conflict", "GET", client.get("/ajax/errors/conflict"))  # 409


def test_O11_batch_answers_and_their_items_are_documented(client: Client) -> None:
    contract = Contract(served(client))
    items: list[dict[str, Any]] = [
        {"path": "users/search", "params": {"q": "al", "limit": 3}},
        {"method": "POST", "path": "status/created", "body": {}},
        {"path": "params/required", "params": {"title": "t", "count": "many"}},
        {"method": "HEAD", "path": "hello"},
        {"path": "whoami"},
    ]  # as many as the conformance batch takes
    answer = client.post("/ajax/_batch", json={"items": items})
    contract.held("/_batch", "POST", answer)
    for item, found in zip(items, answer.json()["items"]):
        body = b"" if found["body"] == "" else orjson.dumps(found["body"])  # K12: "" is none
        alone = Response(found["status"], found["headers"], body)
        contract.held("/" + item["path"], item.get("method", "GET"), alone)
    binary = client.post("/ajax/_batch", json={"items": [{"path": "native/binary"}]})
    assert binary.json()["items"][0]["encoding"] == "base64"
    contract.held("/_batch", "POST", binary)
    too_many = client.post("/ajax/_batch", json={"items": [{"path": "hello"}] * 6})
    contract.held("/_batch", "POST", too_many)
    atomic = [
        {"method": "POST", "path": "ledger/a", "body": {"amount": 1}},
        {"method": "POST", "path": "ledger/b", "body": {"amount": -1}},  # refused at commit
    ]
    refused = client.post("/ajax/_batch", json={"items": atomic, "atomic": True})
    contract.held("/_batch", "POST", refused)


def test_O11_live_transport_answers_are_documented(client: Client) -> None:
    contract = Contract(served(client))
    held = contract.held
    poll = "/ajax/_live/poll"
    held("/_live/poll", "GET", client.get(poll, params={"topic": "news", "timeout": 0}))
    held("/_live/poll", "GET", client.get(poll))  # 422: no topic
    held("/_live/poll", "GET", client.get(poll, params={"topic": "staff", "timeout": 0}))  # 403
    held("/_live/poll", "GET", client.get(poll, params={"topic": "nowhere", "timeout": 0}))
    held("/_live/sse", "GET", client.get("/ajax/_live/sse", params={"topic": "members"}))
    held("/_live/sse", "GET", client.get("/ajax/_live/sse", params={"topic": "news"}))


def test_O11_rate_limited_answers_are_documented(client_class: type[Client]) -> None:
    api = Ajax()

    @api.endpoint("limited", rate="1/minute")
    def limited(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    client = client_class(apis={"/ajax": api})
    try:
        contract = Contract(served(client))
        assert client.get("/ajax/limited").status == 200
        refused = client.get("/ajax/limited")
        assert refused.status == 429
        contract.held("/limited", "GET", refused)
    finally:
        client.close()
