"""Model endpoints in the document: CRUD operations from field metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint, action
from ajaxkit.core.openapi import openapi_document
from ajaxkit.testing import Client
from tests.models.backends import SQLAlchemyBackend
from tests.models.spec import build_api


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    backend = SQLAlchemyBackend("sqlite")
    try:
        api = build_api(backend, [])
        yield openapi_document(api, "/ajax")
    finally:
        backend.close()


def test_the_document_is_valid(document: dict[str, Any]) -> None:
    validate(document)


def test_every_crud_operation_is_listed(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert set(paths["/notes"]) == {"get", "post"}
    assert set(paths["/notes/{pk}"]) == {"get", "put", "patch", "delete"}


def test_list_parameters_come_from_the_query_rules(document: dict[str, Any]) -> None:
    names = [p["name"] for p in document["paths"]["/notes"]["get"]["parameters"]]
    assert {"limit", "offset", "cursor", "ordering", "expand", "search"} <= set(names)
    page = document["paths"]["/notes"]["get"]["responses"]["200"]["content"]["application/json"]
    assert page["schema"]["required"] == ["count", "next_cursor", "results"]


def test_the_record_schema_comes_from_field_metadata(document: dict[str, Any]) -> None:
    record = document["components"]["schemas"]["NoteEndpointRecord"]
    assert {"id", "title", "owner", "tags", "created_at"} <= set(record["properties"])
    assert record["properties"]["title"]["type"] == "string"


def test_writes_carry_their_body_etag_and_preconditions(document: dict[str, Any]) -> None:
    patch = document["paths"]["/notes/{pk}"]["patch"]
    assert "If-Match" in [p["name"] for p in patch["parameters"]]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert patch["responses"]["412"] == {"$ref": "#/components/responses/PreconditionFailed"}
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert "title" in body["properties"]
    assert "required" not in body  # a partial update
    assert body["additionalProperties"] is False
    create = document["paths"]["/notes"]["post"]
    assert "201" in create["responses"]
    assert {"session": []} in create["security"]


def test_the_document_is_served_next_to_the_models() -> None:
    backend = SQLAlchemyBackend("sqlite")
    try:
        response = Client(build_api(backend, []), mount="/ajax").get("/ajax/_openapi.json")
    finally:
        backend.close()
    assert response.status == 200
    assert "/notes/{pk}" in response.json()["paths"]


def _if_match(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    parameters = document["paths"][path][method]["parameters"]
    found: dict[str, Any] = next(p for p in parameters if p["name"] == "If-Match")
    return found


def test_a_required_if_match_is_a_required_header_that_names_a_version(
    document: dict[str, Any],
) -> None:
    for method in ("patch", "put", "delete"):
        required = _if_match(document, "/authors/{pk}", method)
        assert required["required"] is True
        assert "`*` names no version: 428" in required["description"]
        assert document["paths"]["/authors/{pk}"][method]["responses"]["428"] == {
            "$ref": "#/components/responses/PreconditionRequired"
        }
        optional = _if_match(document, "/notes/{pk}", method)
        assert optional["required"] is False
        assert "`*` matches any current version" in optional["description"]
    described = document["components"]["responses"]["PreconditionRequired"]["description"]
    assert "the ETag read" in described


def test_a_write_action_documents_the_428_of_a_required_if_match_a_read_action_not() -> None:
    class Guarded(ModelEndpoint):
        fields = ("id", "name", "email", "version")
        version_field = "version"
        require_if_match = True
        allow_anonymous = True

        @action
        def rename(self, request: AjaxRequest, obj: Any) -> None:
            self.write(request, obj, {"name": "renamed"})

        @action(permission="get", methods=["GET"])
        def card(self, request: AjaxRequest, obj: Any) -> dict[str, Any]:
            return {"name": obj.name}

    backend = SQLAlchemyBackend("sqlite")
    try:
        api = Ajax()
        api.model(backend.models.Author, Guarded, resource="authors", **backend.options())
        document = openapi_document(api, "/ajax")
        client = Client(api)
        author = client.post("/ajax/authors", json={"name": "Ann", "email": "a@x"}).json()
        # A read needs no version named: only writes require If-Match.
        card = client.get(f"/ajax/authors/{author['id']}/card")
        assert (card.status, card.json()) == (200, {"name": "Ann"})
    finally:
        backend.close()
    rename = document["paths"]["/authors/{pk}/rename"]["post"]
    assert _if_match(document, "/authors/{pk}/rename", "post")["required"] is True
    assert rename["responses"]["428"] == {"$ref": "#/components/responses/PreconditionRequired"}
    assert _if_match(document, "/authors/{pk}/card", "get")["required"] is False
    assert "428" not in document["paths"]["/authors/{pk}/card"]["get"]["responses"]


def test_the_etag_is_said_to_tag_the_representation(document: dict[str, Any]) -> None:
    get = document["paths"]["/notes/{pk}"]["get"]
    for response in (get["responses"]["200"], get["responses"]["304"]):
        assert "with `expand`, a tag of its own" in response["headers"]["ETag"]["description"]
    if_match = _if_match(document, "/notes/{pk}", "patch")["description"]
    assert "or of its expanded representation" in if_match


def test_a_filter_list_is_bounded_as_the_list_bounds_it(document: dict[str, Any]) -> None:
    # max_filter_values counts the values of every filter in one request:
    # no one list may hold more, and the description says the total.
    parameters = {p["name"]: p for p in document["paths"]["/notes"]["get"]["parameters"]}
    many = parameters["status__in"]
    assert many["schema"]["maxItems"] == ModelEndpoint.max_filter_values
    assert str(ModelEndpoint.max_filter_values) in many["description"]


def test_each_model_of_the_default_endpoint_has_its_own_record() -> None:
    # ``api.model(Model)`` with no endpoint class of its own: every model's
    # record was ``ModelEndpointRecord``, the first one's fields.
    backend = SQLAlchemyBackend("sqlite")
    try:
        api = Ajax()
        api.model(backend.models.Author, resource="authors", **backend.options())
        api.model(backend.models.Tag, resource="tags", **backend.options())
        document = openapi_document(api, "/ajax")
    finally:
        backend.close()
    schemas = document["components"]["schemas"]

    def record(route: str) -> set[str]:
        get = document["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]
        return set(schemas[get["schema"]["$ref"].rsplit("/", 1)[1]]["properties"])

    assert "email" in record("/authors/{pk}")
    assert record("/tags/{pk}") == set(backend.models.Tag.__table__.columns.keys())
