"""The document outside any framework: caching, mounts, profiles, merging."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, computed_field

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.compat.django_ajax.profile import DjangoAjaxProfile
from ajaxkit.core.openapi import openapi_document
from ajaxkit.core.openapi.merge import merge_document


def registry() -> Ajax:
    api = Ajax()

    @api.endpoint("items/{pk:int}", methods=["GET"], login_required=True)
    def item(request: AjaxRequest, pk: int) -> dict[str, int]:
        return {"pk": pk}

    return api


def test_built_once_and_kept() -> None:
    api = registry()
    assert openapi_document(api, "/a") is openapi_document(api, "/a")


def test_each_mount_gets_its_servers_entry_over_one_build() -> None:
    api = registry()
    first, second = openapi_document(api, "/a"), openapi_document(api, "/b")
    assert first["servers"] == [{"url": "/a"}]
    assert second["servers"] == [{"url": "/b"}]
    assert first["paths"] is second["paths"]


def test_remembered_mounts_are_bounded() -> None:
    api = registry()
    kept = openapi_document(api, "/kept")
    for n in range(40):
        openapi_document(api, f"/m{n}")
    again = openapi_document(api, "/kept")
    assert again == kept
    assert again is not kept  # forgotten among the 40 others, then made again


def test_converters_leave_the_path_template() -> None:
    paths = openapi_document(registry())["paths"]
    assert list(paths) == ["/items/{pk}"]


def test_a_compatibility_profile_is_named() -> None:
    assert "x-ajaxkit-profile" not in openapi_document(Ajax())["info"]
    legacy = openapi_document(Ajax(profile=DjangoAjaxProfile()))
    assert legacy["info"]["x-ajaxkit-profile"] == "DjangoAjaxProfile"


def test_merging_prefixes_paths_and_keeps_the_hosts_components() -> None:
    host: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {"/health": {}},
        "components": {"schemas": {"Problem": {"title": "the host's"}}},
    }
    ours = openapi_document(registry(), "/ajax")
    merged = merge_document(host, ours, "/ajax/")
    assert set(merged["paths"]) == {"/health", "/ajax/items/{pk}"}
    assert merged["paths"]["/ajax/items/{pk}"]["get"]["tags"] == ["ajaxkit"]
    assert merged["components"]["schemas"]["Problem"] == {"title": "the host's"}
    assert "FieldError" in merged["components"]["schemas"]
    assert "tags" not in ours["paths"]["/items/{pk}"]["get"]  # ours is left untouched


def test_merged_operation_ids_stay_unique() -> None:
    # OpenAPI: an operationId MUST be unique in the document (Swagger UI
    # links by it, client generators name functions by it).  Two registries
    # with the same route, merged into one app, each said "get:items/{pk:int}".
    host: dict[str, Any] = {"openapi": "3.1.0", "paths": {}}
    merge_document(host, openapi_document(registry(), "/ajax"), "/ajax")
    merge_document(host, openapi_document(registry(), "/admin/ajax"), "/admin/ajax")
    ids = [op["operationId"] for item in host["paths"].values() for op in item.values()]
    assert sorted(ids) == ["get:admin/ajax/items/{pk:int}", "get:items/{pk:int}"]


class Point(BaseModel):
    x: int
    y: int


def test_a_model_is_one_named_component() -> None:
    api = Ajax()

    @api.endpoint("points", methods=["POST"])
    def move(request: AjaxRequest, point: Point) -> Point:
        return point

    post = openapi_document(api)["paths"]["/points"]["post"]
    ref = {"$ref": "#/components/schemas/Point"}
    assert post["requestBody"]["content"]["application/json"]["schema"] == ref
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == ref


def test_a_lone_list_parameter_takes_the_array_or_an_object_naming_it() -> None:
    api = Ajax()

    @api.endpoint("points", methods=["POST"])
    def place(request: AjaxRequest, points: list[Point]) -> int:
        return len(points)

    post = openapi_document(api)["paths"]["/points"]["post"]
    array = {"type": "array", "items": {"$ref": "#/components/schemas/Point"}}
    assert post["requestBody"]["required"] is True
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "anyOf": [
            array,
            {
                "type": "object",
                "properties": {"points": {**array, "title": "Points"}},
                "required": ["points"],
            },
        ]
    }


class Shop:
    class User(BaseModel):
        label: str


class Blog:
    class User(BaseModel):
        age: int


class Total(BaseModel):
    amount: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def doubled(self) -> int:
        return self.amount * 2


class Order(BaseModel):
    total: Total


class Receipt(BaseModel):
    total: Total


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found if ref else schema


def _members(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    return set(_resolved(document, schema)["properties"])


def test_two_models_of_one_name_are_two_components() -> None:
    # Each app of a project may well have its own ``User``; the second
    # endpoint's body was documented with the first app's members.
    api = Ajax()

    @api.endpoint("shop", methods=["POST"])
    def shop(request: AjaxRequest, items: list[Shop.User]) -> None:
        return None

    @api.endpoint("blog", methods=["POST"])
    def blog(request: AjaxRequest, items: list[Blog.User]) -> None:
        return None

    document = openapi_document(api)
    for route, member in (("/shop", "label"), ("/blog", "age")):
        body = document["paths"][route]["post"]["requestBody"]["content"]["application/json"]
        item = body["schema"]["anyOf"][0]["items"]
        assert _members(document, item) == {member}


def test_a_nested_model_is_documented_as_it_is_sent() -> None:
    # A computed field is sent, never read: a model nested in a parameter
    # and in a result has two schemas, and the result's named the one
    # without it.
    api = Ajax()

    @api.endpoint("orders", methods=["POST"])
    def order(request: AjaxRequest, order: Order) -> Receipt:
        return Receipt(total=order.total)

    document = openapi_document(api)
    post = document["paths"]["/orders"]["post"]
    receipt = _resolved(document, post["responses"]["200"]["content"]["application/json"]["schema"])
    order_ = _resolved(document, post["requestBody"]["content"]["application/json"]["schema"])
    assert _members(document, receipt["properties"]["total"]) == {"amount", "doubled"}
    assert _members(document, order_["properties"]["total"]) == {"amount"}


class Problem(BaseModel):
    question: str
    answer: int


def test_a_model_named_like_the_problem_schema_leaves_it_alone() -> None:
    # A maths app has its own ``Problem``; it replaced the RFC 9457 schema
    # every error response refers to.
    api = Ajax()

    @api.endpoint("problems", methods=["POST"])
    def pose(request: AjaxRequest, problem: Problem) -> Problem:
        return problem

    document = openapi_document(api)
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "code"} <= set(schemas["Problem"]["properties"])
    post = document["paths"]["/problems"]["post"]
    ours = _resolved(document, post["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(ours["properties"]) == {"question", "answer"}


def test_a_rate_limited_endpoint_documents_its_429_and_retry_after() -> None:
    api = Ajax()

    @api.endpoint("limited", methods=["GET"], rate="5/minute")
    def limited(request: AjaxRequest) -> int:
        return 1

    @api.endpoint("free", methods=["GET"])
    def free(request: AjaxRequest) -> int:
        return 1

    document = openapi_document(api)
    paths = document["paths"]
    assert paths["/limited"]["get"]["responses"]["429"] == {
        "$ref": "#/components/responses/TooManyRequests"
    }
    assert "429" not in paths["/free"]["get"]["responses"]
    refused = document["components"]["responses"]["TooManyRequests"]
    assert refused["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}
    assert refused["headers"]["Retry-After"]["required"] is True


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]


class Shelf(BaseModel):
    page: Page[Point]


def test_a_generic_model_is_named_as_openapi_allows() -> None:
    # OpenAPI: component names match ^[a-zA-Z0-9.\-_]+$; ``Page[Point]``
    # did not, and was a second copy of the ``Page_Point_`` a nested one named.
    api = Ajax()

    @api.endpoint("shelves", methods=["POST"])
    def shelve(request: AjaxRequest, shelf: Shelf) -> Page[Point]:
        return shelf.page

    document = openapi_document(api)
    names = list(document["components"]["schemas"])
    assert all(re.fullmatch(r"[a-zA-Z0-9.\-_]+", name) for name in names), names
    result = document["paths"]["/shelves"]["post"]["responses"]["200"]["content"]
    assert result["application/json"]["schema"] == {"$ref": "#/components/schemas/Page_Point_"}
    assert _resolved(document, {"$ref": "#/components/schemas/Shelf"})["properties"]["page"] == {
        "$ref": "#/components/schemas/Page_Point_"
    }


def test_merging_keeps_our_model_apart_from_the_hosts_namesake() -> None:
    # The host app's own ``Point`` (another model of that name) kept the
    # name, and the registry's operations then referred to it.
    api = Ajax()

    @api.endpoint("points", methods=["POST"])
    def move(request: AjaxRequest, point: Point) -> list[Point]:
        return [point]

    theirs = {"type": "object", "properties": {"lat": {"type": "number"}}}
    host: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {"/where": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Point": theirs}},
    }
    ours = openapi_document(api, "/ajax")
    merged = merge_document(host, ours, "/ajax")
    schemas = merged["components"]["schemas"]
    assert schemas["Point"] == theirs
    post = merged["paths"]["/ajax/points"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    items = post["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert body == items
    assert schemas[body["$ref"].rsplit("/", 1)[1]] == ours["components"]["schemas"]["Point"]
    assert ours["paths"]["/points"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Point"}  # ours is left untouched
