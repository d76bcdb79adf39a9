"""Columns holding more than one plain value: JSON, arrays, network addresses.

A filter compares one value with a column; JSON and arrays hold documents and
lists, which no filter of ``?field=value`` can name, so they are refused as
filters and orderings at registration.  Network addresses compare as
addresses, and a value that is none is a client's mistake, never the
database's.  The same on both ORMs and, where the column exists, both
databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from sqlalchemy import JSON, String, create_engine
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, INET, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.exceptions import RegistrationError
from ajaxkit.testing import Client
from tests.models.backends import STORES, Backend, DjangoBackend
from tests.models.conftest import _backend
from tests.models.stranger_queries import QUERY_SETTINGS, answers_cleanly, list_queries
from tests.services import postgres_url, require_postgres

TABLE = f"ajaxkit_box_{os.getpid()}"


class Base(DeclarativeBase):
    pass


class LiteBox(Base):
    """What SQLite has of these: JSON."""

    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), default="")
    data: Mapped[Any] = mapped_column(JSON, nullable=True)


class PgBase(DeclarativeBase):
    pass


class Box(PgBase):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), default="")
    data: Mapped[Any] = mapped_column(JSONB, nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(ARRAY(String(20)), nullable=True)
    ip: Mapped[Any] = mapped_column(INET, nullable=True)
    net: Mapped[Any] = mapped_column(CIDR, nullable=True)


@pytest.fixture(scope="module")
def django_models() -> dict[str, Any]:
    from tests.models.backends import setup_django

    setup_django()
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    class LiteDjangoBox(models.Model):
        name: models.CharField[str, str] = models.CharField(max_length=20, default="")
        data: models.JSONField[Any, Any] = models.JSONField(null=True)

        class Meta:
            app_label = "catalog"
            db_table = TABLE

    class DjangoBox(models.Model):
        name: models.CharField[str, str] = models.CharField(max_length=20, default="")
        data: models.JSONField[Any, Any] = models.JSONField(null=True)
        tags: ArrayField[Any, Any] = ArrayField(models.CharField(max_length=20), null=True)

        class Meta:
            app_label = "catalog"
            db_table = TABLE + "_pg"

    return {"sqlite": LiteDjangoBox, "postgres": DjangoBox}


@pytest.fixture(params=STORES)
def store(
    request: pytest.FixtureRequest, backends: dict[str, Backend], tmp_path: Any
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """``(name, model, options)`` with the model's table made."""
    name: str = request.param
    if name.startswith("django"):
        yield from _django_store(request, backends, name)
        return
    model: Any
    base: Any
    if name.endswith("postgres"):
        require_postgres()
        engine, model, base = create_engine(postgres_url()), Box, PgBase
    else:
        engine, model, base = create_engine(f"sqlite:///{tmp_path}/db.sqlite3"), LiteBox, Base
    base.metadata.create_all(engine)
    try:
        yield name, model, {"session": sessionmaker(engine)}
    finally:
        base.metadata.drop_all(engine)
        engine.dispose()


def _django_store(
    request: pytest.FixtureRequest, backends: dict[str, Backend], name: str
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    backend = _backend(name, backends)
    assert isinstance(backend, DjangoBackend)
    model = request.getfixturevalue("django_models")[backend.database]
    from django.db import connections

    connection = connections[backend.alias]
    if model._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(model)
    try:
        yield name, model, {"using": backend.alias}
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(model)


def _structured(store: tuple[str, Any, dict[str, Any]]) -> tuple[str, ...]:
    return ("data", "tags") if store[0].endswith("postgres") else ("data",)


def _client(api: Ajax) -> Client:
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


def test_json_and_array_fields_are_refused_as_filters_and_orderings(
    store: tuple[str, Any, dict[str, Any]],
) -> None:
    # A JSON or array column compared with a query-string value failed in
    # the database ("operator does not exist: jsonb = character varying",
    # "malformed array literal"): a 500 for any value a client sent.
    _, model, options = store
    for field in _structured(store):
        for attr in ("filter_fields", "ordering_fields"):
            endpoint = type("BoxEndpoint", (ModelEndpoint,), {attr: (field,)})
            wanted = rf"BoxEndpoint.{attr}: {field!r} holds (JSON|arrays).*compare"
            with pytest.raises(RegistrationError, match=wanted):
                Ajax().model(model, endpoint, resource="boxes", **options)


def test_json_and_array_fields_are_still_read_and_written(
    store: tuple[str, Any, dict[str, Any]],
) -> None:
    _, model, options = store

    class BoxEndpoint(ModelEndpoint):
        filter_fields = ("name",)

    api = Ajax()
    api.model(model, BoxEndpoint, resource="boxes", **options)
    client = _client(api)
    body: dict[str, Any] = {"name": "a", "data": {"k": [1, "x"]}}
    if "tags" in _structured(store):
        body["tags"] = ["a", "b"]
    made = client.post("/ajax/boxes", json=body)
    assert made.status == 201, made.json()
    read = client.get(f"/ajax/boxes/{made.json()['id']}").json()
    assert {k: read[k] for k in body} == body


@pytest.mark.parametrize("store", STORES[2:3], indirect=True)  # SQLAlchemy's own types
def test_an_address_column_takes_addresses(store: tuple[str, Any, dict[str, Any]]) -> None:
    # An INET or CIDR column took any text: psycopg sent "nope" and
    # PostgreSQL refused it ("invalid input syntax for type inet"), a 500 for
    # a write or a filter; and a stored address came back as an ipaddress
    # object, which no JSON encoder writes: the row was stored, its answer
    # (and every read of it) was a 500.
    _, model, options = store

    class BoxEndpoint(ModelEndpoint):
        filter_fields = ("ip", "net")
        ordering_fields = ("ip",)

    api = Ajax()
    api.model(model, BoxEndpoint, resource="boxes", **options)
    client = _client(api)
    for ip, net in (("10.0.0.1", "10.0.0.0/8"), ("10.0.0.2/24", "::/0"), ("::1", "10.1.0.0")):
        made = client.post("/ajax/boxes", json={"ip": ip, "net": net})
        assert made.status == 201, made.json()
    shown = client.get("/ajax/boxes", params={"ordering": "ip"}).json()["results"]
    # PostgreSQL orders inet by network part first: 10.0.0.0/24 before 10.0.0.1/32.
    assert [(row["ip"], row["net"]) for row in shown] == [
        ("10.0.0.2/24", "::/0"),
        ("10.0.0.1", "10.0.0.0/8"),
        ("::1", "10.1.0.0/32"),
    ]
    for body, pointer in (({"ip": "nope"}, "#/ip"), ({"net": "10.0.0.1/8"}, "#/net")):
        refused = client.post("/ajax/boxes", json=body)
        assert refused.status == 422, refused.json()
        assert refused.json()["errors"][0]["pointer"] == pointer
    for param, value in (("ip", "nope"), ("ip__gte", "x"), ("ip__in", "::1,nope"), ("net", "1")):
        found = client.get("/ajax/boxes", params={param: value})
        assert found.status == 400, found.json()
        assert found.json()["errors"][0]["parameter"] == param
    found = client.get("/ajax/boxes", params={"ip__in": "10.0.0.1,::1", "net": "10.1.0.0/32"})
    assert found.status == 200, found.json()
    assert [row["ip"] for row in found.json()["results"]] == ["::1"]
    above = client.get("/ajax/boxes", params={"ip__gte": "10.0.0.1", "ordering": "ip"})
    assert [row["ip"] for row in above.json()["results"]] == ["10.0.0.1", "::1"]


def test_json_holding_a_nul_character_is_refused(store: tuple[str, Any, dict[str, Any]]) -> None:
    # PostgreSQL's jsonb refused "\u0000" inside a document ("unsupported
    # Unicode escape sequence"), a 500, where SQLite stored it: a NUL is
    # refused wherever it is, as it is in text.
    _, model, options = store
    api = Ajax()
    api.model(model, ModelEndpoint, resource="boxes", **options)
    client = _client(api)
    for data in ({"k": "a\x00b"}, {"a\x00": 1}, [[{"deep": ["\x00"]}]]):
        refused = client.post("/ajax/boxes", json={"data": data})
        assert refused.status == 422, refused.json()
        error = refused.json()["errors"][0]
        assert (error["pointer"], error["code"]) == ("#/data", "nul_character")
    assert client.get("/ajax/boxes").json()["count"] == 0


@pytest.mark.parametrize("store", STORES[2:], indirect=True)
def test_an_array_takes_a_list_of_its_items(store: tuple[str, Any, dict[str, Any]]) -> None:
    # Django's ArrayField read a string as JSON (a JSONDecodeError) and
    # measured each item (a TypeError for a number), and PostgreSQL refused
    # an item longer than its varchar: 500s for a client's mistake.
    _, model, options = store
    api = Ajax()
    api.model(model, ModelEndpoint, resource="boxes", **options)
    client = _client(api)
    for tags in ("a", [1, {"x": 2}], ["x" * 21], [["a"]]):
        refused = client.post("/ajax/boxes", json={"tags": tags})
        assert refused.status == 422, refused.json()
        assert refused.json()["errors"][0]["pointer"].startswith("#/tags")
    made = client.post("/ajax/boxes", json={"tags": ["x" * 20, "y"]})
    assert made.status == 201, made.json()
    assert made.json()["tags"] == ["x" * 20, "y"]


ADDRESSES = (
    "10.0.0.1",
    "10.0.0.1/8",
    "10.0.0.0/8",
    "::1",
    "fe80::1%eth0",
    "::ffff:10.0.0.1",
    "10.0.0.256",
    "10/8",
    "10.0.0.1/33",
    "0.0.0.0/0",
)


@pytest.mark.parametrize("store", STORES[2:3], indirect=True)
@QUERY_SETTINGS
@given(pairs=list_queries(("ip", "net", "name"), ADDRESSES))
def test_address_queries_from_strangers_never_fail(
    store: tuple[str, Any, dict[str, Any]], pairs: list[tuple[str, str]]
) -> None:
    _, model, options = store

    class BoxEndpoint(ModelEndpoint):
        filter_fields = ("ip", "net", "name")
        ordering_fields = ("ip", "net", "name")

    api = Ajax()
    api.model(model, BoxEndpoint, resource="boxes", **options)
    client = _client(api)
    if client.get("/ajax/boxes").json()["count"] == 0:
        client.post("/ajax/boxes", json={"name": "a", "ip": "10.0.0.1/8", "net": "10.0.0.0/8"})
    answers_cleanly(client, "/ajax/boxes", pairs)


def test_json_numbers_are_kept_within_64_bits(store: tuple[str, Any, dict[str, Any]]) -> None:
    # PostgreSQL's jsonb writes numbers back without an exponent (1e300 as
    # 301 digits), which come back as integers no JSON reader holds: the
    # answer failed to encode, a 500, where SQLite answered 1e300.
    _, model, options = store
    api = Ajax()
    api.model(model, ModelEndpoint, resource="boxes", **options)
    client = _client(api)
    # An integer past 64 bits is refused with the body, before the field
    # sees it (rule U13); numbers the body holds exactly, here.
    for raw, code in (
        (b"1e300", "json_number_range"),
        (b"-1.5e19", "json_number_range"),
        (b"123456789012345678901234567890", "int_out_of_range"),
        (b'[1, {"k": 1e20}]', "json_number_range"),
    ):
        refused = client.post(
            "/ajax/boxes",
            content=b'{"data": ' + raw + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert refused.status == 422, (raw, refused.json())
        error = refused.json()["errors"][0]
        assert (error["pointer"], error["code"]) == ("#/data", code)
    kept = {"big": 2**63 - 1, "small": -(2**63) + 1, "float": 1.5e18, "tiny": 1e-300}
    made = client.post("/ajax/boxes", json={"data": kept})
    assert made.status == 201, made.json()
    read = client.get(f"/ajax/boxes/{made.json()['id']}").json()
    assert read["data"] == kept
