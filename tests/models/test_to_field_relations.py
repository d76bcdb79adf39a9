"""A foreign key to a unique column other than the primary key (Django's
``ForeignKey(to_field=...)``, a SQLAlchemy ``ForeignKey("parent.code")``).

The column holds the referenced value, so that value is what a record shows,
what a write sets the relation by, and what a filter compares, on both ORMs
and both databases; expansion and scoping follow the related row as for any
foreign key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import STORES, Backend, DjangoBackend
from tests.models.conftest import _backend
from tests.models.stranger_queries import QUERY_SETTINGS, answers_cleanly, list_queries
from tests.services import postgres_url, require_postgres

PARENT = f"ajaxkit_parent_{os.getpid()}"
CHILD = f"ajaxkit_child_{os.getpid()}"


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = PARENT
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)


class Child(Base):
    __tablename__ = CHILD
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey(f"{PARENT}.code"), nullable=True)
    parent: Mapped[Parent | None] = relationship()


@pytest.fixture(scope="module")
def django_models() -> tuple[Any, Any]:
    from tests.models.backends import setup_django

    setup_django()
    from django.db import models

    class DjangoParent(models.Model):
        code: models.CharField[str, str] = models.CharField(max_length=10, unique=True)

        class Meta:
            app_label = "catalog"
            db_table = PARENT

    class DjangoChild(models.Model):
        parent: models.ForeignKey[Any, Any] = models.ForeignKey(
            DjangoParent, to_field="code", null=True, on_delete=models.CASCADE
        )

        class Meta:
            app_label = "catalog"
            db_table = CHILD

    return DjangoParent, DjangoChild


class ChildEndpoint(ModelEndpoint):
    filter_fields = ("parent",)


#: ``(parent model, its endpoint, child model, repository options)``.
Store = tuple[Any, Any, Any, dict[str, Any]]


@pytest.fixture
def client(store: Store) -> Client:
    return _client(*store)


@pytest.fixture(params=STORES)
def store(
    request: pytest.FixtureRequest, backends: dict[str, Backend], tmp_path: Any
) -> Iterator[Store]:
    name: str = request.param
    if name.startswith("django"):
        yield from _django_store(request, backends, name)
        return
    if name.endswith("postgres"):
        require_postgres()
        engine = create_engine(postgres_url())
    else:
        engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)

    class ParentEndpoint(ModelEndpoint):
        def get_queryset(self, request: AjaxRequest) -> Any:
            return super().get_queryset(request).where(Parent.code != "hidden")

    try:
        yield Parent, ParentEndpoint, Child, {"session": sessionmaker(engine)}
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


def _django_store(
    request: pytest.FixtureRequest, backends: dict[str, Backend], name: str
) -> Iterator[Store]:
    backend = _backend(name, backends)
    assert isinstance(backend, DjangoBackend)
    parent, child = request.getfixturevalue("django_models")
    from django.db import connections

    connection = connections[backend.alias]
    tables = connection.introspection.table_names()
    with connection.schema_editor() as editor:
        for model in (parent, child):
            if model._meta.db_table not in tables:
                editor.create_model(model)

    class ParentEndpoint(ModelEndpoint):
        def get_queryset(self, request: AjaxRequest) -> Any:
            return super().get_queryset(request).exclude(code="hidden")

    try:
        yield parent, ParentEndpoint, child, {"using": backend.alias}
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(child)
            editor.delete_model(parent)


def _client(parent: Any, parent_endpoint: Any, child: Any, options: dict[str, Any]) -> Client:
    api = Ajax()
    api.model(parent, parent_endpoint, resource="parents", **options)
    api.model(child, ChildEndpoint, resource="children", **options)
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    for code in ("abc", "xyz", "hidden"):
        assert client.post("/ajax/parents", json={"code": code}).status == 201
    return client


def test_a_relation_to_a_model_without_endpoint_is_checked_by_the_referenced_value(
    store: Store,
) -> None:
    # No endpoint scopes the parents: the written code must name a row.
    parent, parent_endpoint, child, options = store
    _client(parent, parent_endpoint, child, options)  # makes the parents
    api = Ajax()
    api.model(child, ChildEndpoint, resource="children", **options)
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    refused = client.post("/ajax/children", json={"parent": "nope"})
    assert refused.status == 422, refused.json()
    assert refused.json()["errors"][0]["detail"] == "No related record with code 'nope'."
    made = client.post("/ajax/children", json={"parent": "hidden"})
    assert made.status == 201, made.json()
    assert made.json()["parent"] == "hidden"


def test_a_relation_is_written_and_shown_by_the_referenced_value(client: Client) -> None:
    # The relation was typed as the related pk (an integer): the code the
    # column holds could not be written, and an integer was stored as the
    # code of no row (SQLite does not check), or failed PostgreSQL's
    # comparison of varchar with integer in a filter: a 500.
    made = client.post("/ajax/children", json={"parent": "abc"})
    assert made.status == 201, made.json()
    assert made.json()["parent"] == "abc"
    pk = made.json()["id"]
    assert client.get(f"/ajax/children/{pk}").json()["parent"] == "abc"
    for wrong in ("nope", "hidden", 1):
        refused = client.post("/ajax/children", json={"parent": wrong})
        assert refused.status == 422, refused.json()
        assert refused.json()["errors"][0]["pointer"] == "#/parent"
    moved = client.patch(f"/ajax/children/{pk}", json={"parent": "xyz"})
    assert moved.status == 200, moved.json()
    assert moved.json()["parent"] == "xyz"
    expanded = client.get(f"/ajax/children/{pk}", params={"expand": "parent"}).json()
    assert expanded["parent"]["code"] == "xyz"
    assert client.get("/ajax/children").json()["count"] == 1


def test_a_relation_is_filtered_by_the_referenced_value(client: Client) -> None:
    for code in ("abc", "xyz", None):
        assert client.post("/ajax/children", json={"parent": code}).status == 201
    for params, count in (
        ({"parent": "xyz"}, 1),
        ({"parent": "1"}, 0),
        ({"parent__in": "abc,xyz,nope"}, 2),
        ({"parent__isnull": "true"}, 1),
        ({"parent__gte": "b"}, 1),
    ):
        found = client.get("/ajax/children", params=params)
        assert found.status == 200, found.json()
        assert found.json()["count"] == count, params


@QUERY_SETTINGS
@given(pairs=list_queries(("parent",), ("abc", "xyz", "hidden", "1", "parent", "x" * 11)))
def test_relation_queries_from_strangers_never_fail(
    client: Client, pairs: list[tuple[str, str]]
) -> None:
    if client.get("/ajax/children").json()["count"] == 0:
        client.post("/ajax/children", json={"parent": "abc"})
        client.post("/ajax/children", json={"parent": None})
    answers_cleanly(client, "/ajax/children", pairs)
