"""Registration: resource names, collisions, repository choice, misdeclared endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint, action
from ajaxkit.django.repository import DjangoRepository
from ajaxkit.exceptions import RegistrationError
from ajaxkit.sqlalchemy import SQLAlchemyRepository
from ajaxkit.testing import Client
from tests.models.backends import Backend, user


def test_default_resource_names_and_repository_choice(backend: Backend) -> None:
    api = Ajax()
    resource = api.model(backend.models.Tag, ModelEndpoint, **backend.options())
    expected = "catalog/tag" if backend.name.startswith("django") else "sa_tag"
    assert resource.name == expected
    kind = DjangoRepository if backend.name.startswith("django") else SQLAlchemyRepository
    assert isinstance(resource.repository, kind)
    assert api.models[backend.models.Tag] is resource


def test_collisions_are_refused(backend: Backend) -> None:
    api = Ajax()
    api.model(backend.models.Tag, resource="things", **backend.options())
    # Named by the model being registered and by the one already there.
    name_taken = r"api.model\(Author\): the resource name 'things' is already .*Tag"
    with pytest.raises(RegistrationError, match=name_taken):
        api.model(backend.models.Author, resource="things", **backend.options())
    model_taken = r"api.model\(Tag\): .*already registered as 'things'"
    with pytest.raises(RegistrationError, match=model_taken):
        api.model(backend.models.Tag, resource="other", **backend.options())


def test_misdeclared_endpoints_fail_at_registration(backend: Backend) -> None:
    class UnknownField(ModelEndpoint):
        fields = ("slug", "colour")

    class BadSearch(ModelEndpoint):
        search_fields = ("tags",)

    class PrivateAction(ModelEndpoint):
        @action(name="_hidden")
        def hidden(self, request: AjaxRequest, obj: Any) -> None:
            return None

    cases = (
        (UnknownField, "Tag", r"UnknownField.*'colour' is not a field"),
        (BadSearch, "Note", r"BadSearch.search_fields: 'tags' is not usable"),
        (PrivateAction, "Tag", r"PrivateAction.hidden cannot be an action"),
    )
    for endpoint, model, message in cases:
        with pytest.raises(RegistrationError, match=rf"api.model\({model}\): {message}"):
            Ajax().model(getattr(backend.models, model), endpoint, **backend.options())


def test_a_field_list_written_as_a_string_says_so(backend: Backend) -> None:
    # ("label") is a string, not a tuple: read letter by letter it failed as
    # "'l' is not a field", and a read_only string made nothing read-only.
    for attr in ("fields", "read_only", "search_fields", "ordering_fields", "ordering"):
        endpoint = type("Letters", (ModelEndpoint,), {attr: "label"})
        wanted = rf"Letters.{attr} must be a tuple of field names such as \('label',\)"
        with pytest.raises(RegistrationError, match=rf"api.model\(Tag\): {wanted}"):
            Ajax().model(backend.models.Tag, endpoint, **backend.options())


class TagSchema(BaseModel):
    label: str


class TagFields:
    fields = ("label",)


@pytest.mark.parametrize("given", [TagSchema, TagFields, TagFields(), "TagEndpoint"])
def test_an_endpoint_that_is_no_model_endpoint_class_is_refused(
    backend: Backend, given: Any
) -> None:
    # A schema (django-ninja's habit) or a plain class failed with Python's
    # TypeError from calling it, naming neither api.model nor the fix.
    wanted = r"api.model\(Tag\): the endpoint must be a ModelEndpoint subclass.*not "
    with pytest.raises(RegistrationError, match=wanted):
        Ajax().model(backend.models.Tag, given, **backend.options())


def test_fields_all_as_django_rest_framework_writes_it_says_to_leave_fields_out(
    backend: Backend,
) -> None:
    # The advice for a string, ("__all__",), then failed as "'__all__' is
    # not a field".
    endpoint = type("Everything", (ModelEndpoint,), {"fields": "__all__"})
    wanted = r"api.model\(Tag\): Everything.fields = '__all__'.*leave fields out"
    with pytest.raises(RegistrationError, match=wanted) as refused:
        Ajax().model(backend.models.Tag, endpoint, **backend.options())
    assert "('__all__',)" not in str(refused.value)


@pytest.mark.parametrize(
    ("attr", "value", "advice"),
    [
        ("exclude", ("slug",), r"list the fields to show in fields="),
        ("read_only_fields", ("slug",), r"read_only = \("),
        ("Meta", type("Meta", (), {"fields": ("label",)}), r"attributes of the endpoint"),
        ("extra_kwargs", {"slug": {"read_only": True}}, r"read_only = \("),
        ("permission_classes", (), r"can_list.*can_delete"),
        ("filterset_fields", ("label",), r"filter_fields = \("),
        ("page_size", 10, r"default_limit"),
        ("http_method_names", ["get"], r"operations = \("),
    ],
)
def test_another_frameworks_endpoint_attributes_are_refused(
    backend: Backend, attr: str, value: Any, advice: str
) -> None:
    # Django REST framework's and django-ninja's names, as their users write
    # them: ignored, exclude = ("password",) showed the password hash, and
    # read_only_fields left its fields writable by every client.
    endpoint = type("TagEndpoint", (ModelEndpoint,), {attr: value})
    wanted = rf"api.model\(Tag\): TagEndpoint.{attr} is not an ajaxkit attribute.*{advice}"
    with pytest.raises(RegistrationError, match=wanted):
        Ajax().model(backend.models.Tag, endpoint, **backend.options())


def test_read_only_and_version_field_name_fields_of_the_model(backend: Backend) -> None:
    # A misspelt read_only name left the field writable by every client; an
    # unknown version_field made every write a 500 (a KeyError).
    class ReadOnlyTypo(ModelEndpoint):
        read_only = ("lable",)

    class VersionTypo(ModelEndpoint):
        version_field = "revision"

    cases = (
        (ReadOnlyTypo, r"ReadOnlyTypo.read_only: 'lable' is not a field of"),
        (VersionTypo, r"VersionTypo.version_field: 'revision' is not a field of"),
    )
    for endpoint, message in cases:
        with pytest.raises(RegistrationError, match=rf"api.model\(Tag\): {message}"):
            Ajax().model(backend.models.Tag, endpoint, **backend.options())


def test_unknown_fields_is_reject_or_ignore(backend: Backend) -> None:
    class Drop(ModelEndpoint):
        unknown_fields = "drop"  # type: ignore[assignment]

    wanted = r"api.model\(Tag\): Drop.unknown_fields must be 'reject' or 'ignore', not 'drop'"
    with pytest.raises(RegistrationError, match=wanted):
        Ajax().model(backend.models.Tag, Drop, **backend.options())


@pytest.mark.parametrize(
    ("default", "maximum", "wanted"),
    [
        (20, 0, r"max_limit must be a whole number of 1 or more, not 0"),
        (20, True, r"max_limit must be a whole number of 1 or more, not True"),
        (50, 10, r"default_limit must be from 1 to max_limit \(10\), not 50"),
        (0, 10, r"default_limit must be from 1 to max_limit \(10\), not 0"),
        ("20", 100, r"default_limit must be from 1 to max_limit \(100\), not '20'"),
    ],
)
def test_page_limits_that_cannot_work_are_refused(
    backend: Backend, default: Any, maximum: Any, wanted: str
) -> None:
    # max_limit = 0 made every explicit limit a 400; a default_limit above
    # max_limit served pages no client could ask for.
    endpoint = type("Pages", (ModelEndpoint,), {"default_limit": default, "max_limit": maximum})
    with pytest.raises(RegistrationError, match=rf"api.model\(Tag\): Pages.{wanted}"):
        Ajax().model(backend.models.Tag, endpoint, **backend.options())


def test_unknown_operations_are_refused(backend: Backend) -> None:
    class Typo(ModelEndpoint):
        operations = ("list", "destroy")  # type: ignore[assignment]

    with pytest.raises(
        RegistrationError, match=r"api.model\(Tag\): Typo.operations: unknown.*'destroy'"
    ):
        Ajax().model(backend.models.Tag, Typo, **backend.options())


def test_unknown_model_type_is_refused() -> None:
    class Plain:
        pass

    with pytest.raises(RegistrationError, match="No repository"):
        Ajax().model(Plain)


def test_sqlalchemy_needs_a_session() -> None:
    from tests.models import sa_models

    with pytest.raises(RegistrationError, match=r"api.model\(Tag\): .*session="):
        Ajax().model(sa_models.Tag)


def test_unknown_model_options_are_refused(backend: Any) -> None:
    api = Ajax()
    # Every registry serves its own documents (_openapi.json, _types.d.ts).
    before = [route.pattern for route in api.router]
    with pytest.raises(RegistrationError, match=r"api.model\(Tag\): unknown option\(s\) 'sesion'"):
        api.model(backend.models.Tag, resource="tags", sesion=None, **backend.options())
    assert [route.pattern for route in api.router] == before


def test_a_clash_partway_leaves_no_half_registered_model(backend: Backend) -> None:
    # The model's collection routes go in before its item routes: a clash on
    # DELETE tags/{pk} used to leave GET/POST tags and GET/PATCH/PUT tags/{pk}.
    api = Ajax()

    def delete_tag(request: AjaxRequest, pk: str) -> None: ...

    api.add("tags/{pk}", delete_tag, methods=["DELETE"])
    before = {route.pattern: dict(route.endpoints) for route in api.router}
    with pytest.raises(RegistrationError, match=r"api.model\(Tag\): .*DELETE.*delete_tag"):
        api.model(backend.models.Tag, resource="tags", **backend.options())
    assert {route.pattern: dict(route.endpoints) for route in api.router} == before
    assert backend.models.Tag not in api.models
    # Nothing of the failed attempt stands in the way of a corrected one.
    api.model(backend.models.Tag, resource="labels", **backend.options())


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("filter_fields", ("name", "email")),
        ("ordering_fields", ("email",)),
        ("search_fields", ("email",)),
        ("ordering", ("-email",)),
    ],
)
def test_a_query_on_a_field_left_out_of_fields_is_refused(
    backend: Backend, attr: str, value: tuple[str, ...]
) -> None:
    # Filtering, ordering or searching on a column the records do not show
    # lets a client learn its values by probing (``email__gte=m``), so it
    # is a declaration error, not a silent leak.
    endpoint = type("Authors", (ModelEndpoint,), {"fields": ("id", "name"), attr: value})
    message = rf"api.model\(Author\): Authors.{attr}: 'email' is not in Authors.fields"
    with pytest.raises(RegistrationError, match=message):
        Ajax().model(backend.models.Author, endpoint, **backend.options())


def test_every_field_is_queryable_when_fields_is_omitted(backend: Backend) -> None:
    class Authors(ModelEndpoint):
        filter_fields = ("email",)
        ordering_fields = ("email",)
        search_fields = ("email",)
        ordering = ("-email",)

    resource = Ajax().model(backend.models.Author, Authors, **backend.options())
    assert "email" in resource.rules.filter_fields
    assert "email" in resource.rules.ordering_fields


def test_a_required_idempotency_key_guards_the_model_writes_that_take_one(
    backend: Backend,
) -> None:
    backend.reset()
    api = Ajax()
    api.model(backend.models.Tag, resource="tags", idempotency="required", **backend.options())
    client = Client(api)
    client.login(user("ann"))
    assert client.get("/ajax/tags").status == 200  # reads never ask for a key
    tag = {"slug": "t", "label": "T"}
    assert client.post("/ajax/tags", json=tag).status == 400
    keyed = client.post("/ajax/tags", json=tag, headers={"Idempotency-Key": "k1"})
    assert keyed.status == 201, keyed.json()


def test_a_required_idempotency_key_on_a_read_only_model_is_refused(backend: Backend) -> None:
    class ReadOnly(ModelEndpoint):
        operations = ("list", "get")

    with pytest.raises(RegistrationError, match=r"api\.model\(.*\).*idempotency='required'"):
        Ajax().model(backend.models.Tag, ReadOnly, idempotency="required", **backend.options())


@pytest.mark.parametrize(
    "hook",
    [
        "authenticate",
        "get_queryset",
        "can_list",
        "can_get",
        "can_create",
        "can_update",
        "can_delete",
        "prepare",
        "created",
        "updated",
        "deleted",
    ],
)
def test_async_hooks_are_refused(backend: Backend, hook: str) -> None:
    # Called as functions, an async def hook's coroutine was its answer,
    # never awaited: can_update's was true (every update allowed), and
    # created's never ran.
    async def refuse(self: ModelEndpoint, *args: Any) -> bool:
        return False

    endpoint = type("TagEndpoint", (ModelEndpoint,), {hook: refuse})
    wanted = rf"api.model\(Tag\): TagEndpoint.{hook} is an async def.*plain def"
    with pytest.raises(RegistrationError, match=wanted):
        Ajax().model(backend.models.Tag, endpoint, **backend.options())


def test_an_async_action_is_refused(backend: Backend) -> None:
    class AsyncAction(ModelEndpoint):
        @action
        async def publish(self, request: AjaxRequest, obj: Any) -> None:
            return None

    wanted = r"api.model\(Tag\): AsyncAction.publish is an async def.*plain def"
    with pytest.raises(RegistrationError, match=wanted):
        Ajax().model(backend.models.Tag, AsyncAction, **backend.options())
