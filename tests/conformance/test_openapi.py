"""The O rules: every integration serves the same OpenAPI document and declarations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from openapi_spec_validator import validate

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.compat.django_ajax.profile import DjangoAjaxProfile
from ajaxkit.core.openapi import openapi_document
from ajaxkit.testing import Client as ModelClient
from tests.conformance.app import Natives, build_api
from tests.conformance.clients.base import Client
from tests.conformance.contract import OPAQUE, Contract, Requests, _text
from tests.fuzz_strategies import FUZZ_SETTINGS
from tests.models.backends import SQLAlchemyBackend
from tests.models.spec import build_api as build_model_api

PROBLEM = "#/components/responses/Problem"
RESPONSES = "#/components/responses/"


def _unused(*args: object) -> None:
    raise AssertionError("documenting never calls a handler")


def reference_document(mount: str = "/ajax") -> dict[str, Any]:
    """The document of the conformance app built outside any framework."""
    return openapi_document(build_api(Natives(response=_unused, raise_exception=_unused)), mount)


def served(client: Client, path: str = "/ajax/_openapi.json") -> dict[str, Any]:
    response = client.get(path)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def valid_reference() -> dict[str, Any]:
    """The reference document, validated as OpenAPI once for the module.

    Every client's document must equal it, so each is then valid too: the
    validator (a quarter of a second) need not read seven equal documents.
    """
    document = reference_document()
    validate(document)
    return document


def test_O1_document_is_valid_openapi_and_identical_everywhere(
    client: Client, valid_reference: dict[str, Any]
) -> None:
    document = served(client)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/ajax"}]
    assert document == valid_reference


def test_O1_each_mount_names_itself(client: Client) -> None:
    assert served(client, "/ajax-debug/_openapi.json")["servers"] == [{"url": "/ajax-debug"}]


def test_O2_parameters_follow_the_binder(client: Client) -> None:
    paths = served(client)["paths"]
    search = paths["/users/search"]
    assert [p["name"] for p in search["get"]["parameters"]] == ["q", "limit"]
    assert search["get"]["parameters"][1]["schema"]["type"] == "integer"
    assert "parameters" not in search["post"]
    body = search["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"q", "limit"}
    note = paths["/notes/{pk}"]["get"]["parameters"]
    assert note == [{"name": "pk", "in": "path", "required": True, "schema": note[0]["schema"]}]
    assert note[0]["schema"]["type"] == "integer"
    lists = {p["name"]: p for p in paths["/params/lists"]["get"]["parameters"]}
    assert lists["ids"]["required"] and lists["ids"]["explode"]
    upload = paths["/params/upload"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"


def test_O3_return_annotation_is_the_response_schema(client: Client) -> None:
    paths = served(client)["paths"]
    hello = paths["/hello"]["get"]["responses"]["200"]["content"]["application/json"]
    assert hello["schema"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert paths["/echo"]["post"]["responses"]["200"]["content"]["application/json"] == {
        "schema": {}
    }
    assert "204" in paths["/nothing"]["get"]["responses"]


def test_O4_auth_is_a_security_requirement_with_its_problems(client: Client) -> None:
    document = served(client)
    whoami = document["paths"]["/whoami"]["get"]
    assert whoami["security"] == [{"session": []}]
    assert whoami["responses"]["401"] == {"$ref": "#/components/responses/NotAuthenticated"}
    admin = document["paths"]["/admin-only"]["get"]
    assert admin["responses"]["403"] == {"$ref": "#/components/responses/Forbidden"}
    assert {} in admin["security"]
    assert "session" in document["components"]["securitySchemes"]
    anonymous = client.get("/ajax/whoami")
    assert anonymous.status == 401
    assert set(anonymous.json()) <= set(document["components"]["schemas"]["Problem"]["properties"])


def test_O5_errors_are_problem_documents(client: Client) -> None:
    document = served(client)
    responses = document["components"]["responses"]
    required = document["paths"]["/params/required"]
    for op in required.values():
        assert op["responses"]["default"] == {"$ref": PROBLEM}
    assert required["get"]["responses"]["422"] == {"$ref": f"{RESPONSES}ValidationFailed"}
    # A POST honours Idempotency-Key: a key reused for another request is a
    # 422 too, without errors[] (rule I2).
    assert required["post"]["responses"]["422"] == {
        "$ref": f"{RESPONSES}ValidationFailedOrKeyReused"
    }
    assert set(responses["ValidationFailed"]["content"]) == {"application/problem+json"}
    invalid = client.get("/ajax/params/required")
    assert invalid.status == 422
    assert invalid.headers["content-type"].startswith("application/problem+json")
    errors = document["components"]["schemas"]["FieldError"]
    assert set(invalid.json()["errors"][0]) <= set(errors["properties"])


def test_O6_websockets_and_live_routes_are_listed(client: Client) -> None:
    document = served(client)
    sockets = document["x-ajaxkit-websockets"]
    assert {"/ws/echo", "/ws/whoami", "/_live/ws"} <= set(sockets)
    assert sockets["/ws/whoami"]["security"] == [{"session": []}]
    assert "/ws/echo" not in document["paths"]
    sse = document["paths"]["/_live/sse"]["get"]
    assert "text/event-stream" in sse["responses"]["200"]["content"]
    assert "topic" in [p["name"] for p in sse["parameters"]]


def test_O7_typescript_declarations_are_served(client: Client) -> None:
    response = client.get("/ajax/_types.d.ts")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/typescript")
    text = response.content.decode()
    assert '"users/search": {' in text
    assert "export interface Endpoints" in text


def test_O8_a_setting_turns_the_documents_off(client_class: type[Client]) -> None:
    api = Ajax()

    @api.endpoint
    def hello(request: AjaxRequest) -> str:
        return "hello"

    client = client_class(apis={"/ajax": api}, config={"AJAXKIT_OPENAPI": False})
    try:
        for path in ("/ajax/_openapi.json", "/ajax/_types.d.ts"):
            response = client.get(path)
            assert response.status == 404
            assert response.json()["code"] == "not_found"
        assert client.get("/ajax/hello").status == 200
    finally:
        client.close()


def test_O9_the_document_follows_new_endpoints(client_class: type[Client]) -> None:
    api = Ajax()

    @api.endpoint
    def first(request: AjaxRequest) -> int:
        return 1

    client = client_class(apis={"/ajax": api})
    try:
        assert set(served(client)["paths"]) == {"/first"}

        @api.endpoint
        def second(request: AjaxRequest) -> int:
            return 2

        assert set(served(client)["paths"]) == {"/first", "/second"}
        assert "_openapi" not in str(served(client)["paths"])
    finally:
        client.close()


def test_O9_the_document_follows_endpoints_built_again(client_class: type[Client]) -> None:
    # A configured DEFAULT_METHODS builds again the endpoints that named no
    # methods; the document and the declarations, cached by how many
    # (route, method) pairs there were, kept listing POST for the PUT that
    # replaced it one for one.
    api = Ajax()

    @api.endpoint
    def ping(request: AjaxRequest) -> int:
        return 1

    operations, declared = [], []
    for config in ({}, {"AJAXKIT_DEFAULT_METHODS": ["GET", "HEAD", "PUT"]}):
        client = client_class(apis={"/ajax": api}, config=config)
        try:
            operations.append(set(served(client)["paths"]["/ping"]))
            types = client.get("/ajax/_types.d.ts").content.decode()
            declared.append({m for m in ("GET", "POST", "PUT") if f" {m}: " in types})
        finally:
            client.close()
    assert operations == [{"get", "post"}, {"get", "put"}]
    assert declared == [{"GET", "POST"}, {"GET", "PUT"}]


def test_O9_the_document_follows_a_profile_configured_later(client_class: type[Client]) -> None:
    api = Ajax()

    @api.endpoint
    def ping(request: AjaxRequest) -> int:
        return 1

    client = client_class(apis={"/ajax": api})
    try:
        assert "x-ajaxkit-profile" not in served(client)["info"]
        api.configure(profile=DjangoAjaxProfile())
        assert served(client)["info"]["x-ajaxkit-profile"] == "DjangoAjaxProfile"
    finally:
        client.close()


@pytest.mark.parametrize("route", ["_openapi.json", "_types.d.ts"])
def test_O1_document_routes_are_not_documented(route: str) -> None:
    assert f"/{route}" not in reference_document()["paths"]


@pytest.mark.parametrize("route", ["_openapi.json", "_types.d.ts"])
def test_O10_an_etag_revalidates_with_304(client: Client, route: str) -> None:
    first = client.get(f"/ajax/{route}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(f"/ajax/{route}", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(f"/ajax/{route}", headers={"If-None-Match": '"other"'}).status == 200


@pytest.mark.parametrize("route", ["_openapi.json", "_types.d.ts"])
@pytest.mark.parametrize("held", ["*", '"other", *'])
def test_O10_a_star_matches_the_document_as_any_etag_does(
    client: Client, route: str, held: str
) -> None:
    # RFC 9110 section 13.1.2: "*" matches any current representation, as it
    # does for the client asset (J2) and a model record.
    response = client.get(f"/ajax/{route}", headers={"If-None-Match": held})
    assert response.status == 304
    assert response.content == b""
    assert response.headers["etag"] == client.get(f"/ajax/{route}").headers["etag"]


# --- O12: a model list's parameters, exactly what the list accepts ------------------


@pytest.fixture(scope="module")
def notes() -> Iterator[tuple[dict[str, Any], ModelClient]]:
    backend = SQLAlchemyBackend("sqlite")
    try:
        api = build_model_api(backend, [])
        yield openapi_document(api, "/ajax"), ModelClient(api, mount="/ajax")
    finally:
        backend.close()


def _list_parameter(document: dict[str, Any], name: str) -> dict[str, Any]:
    parameters = document["paths"]["/notes"]["get"]["parameters"]
    found: dict[str, Any] = next(p for p in parameters if p["name"] == name)
    return found


@pytest.mark.parametrize(
    ("name", "accepted", "refused"),
    [
        ("ordering", ["title", "-priority,title", "-created_at,id"], ["nowhere", "title,", "+id"]),
        ("expand", ["author", "tags,comments", "comments.author"], ["body", "author.", "owner"]),
        ("priority__in", [[1, -2]], [["high"], [2**63]]),
        ("title__in", [["a", "b"]], [["a,b"], ["\x00"]]),
        # A field with choices filters by one of them (anything else is a 400).
        ("status", ["draft", "published"], ["nope", ""]),
        ("status__in", [["draft", "published"]], [["draft", "nope"]]),
    ],
)
def test_O12_list_parameters_name_only_what_the_list_accepts(
    notes: tuple[dict[str, Any], ModelClient], name: str, accepted: list[Any], refused: list[Any]
) -> None:
    schema = _list_parameter(notes[0], name)["schema"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert all(validator.is_valid(value) for value in accepted), schema
    assert not any(validator.is_valid(value) for value in refused), schema


@given(data=st.data())
@settings(FUZZ_SETTINGS)
def test_O12_a_documented_list_parameter_is_never_refused(
    notes: tuple[dict[str, Any], ModelClient], data: st.DataObject
) -> None:
    document, client = notes
    contract = Contract(document)
    parameters = document["paths"]["/notes"]["get"]["parameters"]
    made = [p for p in parameters if p["in"] == "query" and p["name"] not in OPAQUE]
    param = data.draw(st.sampled_from(made))
    value = data.draw(Requests(contract).values(param["schema"]))
    # An array is a comma-separated list (style form, explode false).
    sent = ",".join(map(str, value)) if isinstance(value, list) else _text(value)
    response = client.get("/ajax/notes", params={param["name"]: sent or ""})
    assert response.status == 200, (param["name"], sent, response.json())
