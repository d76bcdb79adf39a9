"""A datetime written without a UTC offset (``2026-01-01T10:00:00``), the same on
both ORMs and both databases.

A column that keeps instants (SQLAlchemy's ``DateTime(timezone=True)``, a
Django ``DateTimeField`` with ``USE_TZ``) reads it in the application's time
zone -- Django's current time zone, UTC on SQLAlchemy, which has none -- and
answers every instant with its offset, in UTC.  A SQLAlchemy column without
a time zone keeps the UTC wall time of an aware value.  PostgreSQL's session
time zone (the server's, unless set) changes none of it: these tests run
PostgreSQL in New York time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from sqlalchemy import DateTime, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import STORES, Backend, DjangoBackend
from tests.models.conftest import _backend
from tests.models.stranger_queries import QUERY_SETTINGS, answers_cleanly, list_queries
from tests.services import postgres_url, require_postgres

TABLE = f"ajaxkit_moment_{os.getpid()}"
UTC = dt.timezone.utc


class Base(DeclarativeBase):
    pass


class Moment(Base):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    wall: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class MomentEndpoint(ModelEndpoint):
    filter_fields = ("at", "wall")
    ordering_fields = ("at",)


@pytest.fixture(scope="module")
def django_model() -> Any:
    from tests.models.backends import setup_django

    setup_django()
    from django.db import models

    class DjangoMoment(models.Model):
        name: models.CharField[str, str] = models.CharField(max_length=20, default="")
        at: models.DateTimeField[dt.datetime, dt.datetime] = models.DateTimeField()

        class Meta:
            app_label = "catalog"
            db_table = TABLE

    return DjangoMoment


@pytest.fixture(params=STORES)
def client(
    request: pytest.FixtureRequest, backends: dict[str, Backend], tmp_path: Any
) -> Iterator[Client]:
    name: str = request.param
    api = Ajax()
    if name.startswith("django"):
        yield from _django_client(request, backends, name, api)
        return
    if name.endswith("postgres"):
        require_postgres()
        # Not the server's UTC: a naive value must not depend on it.
        engine = create_engine(
            postgres_url(), connect_args={"options": "-c timezone=America/New_York"}
        )
    else:
        engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    api.model(Moment, MomentEndpoint, resource="moments", session=sessionmaker(engine))
    try:
        yield _logged_in(api)
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


def _django_client(
    request: pytest.FixtureRequest, backends: dict[str, Backend], name: str, api: Ajax
) -> Iterator[Client]:
    backend = _backend(name, backends)
    assert isinstance(backend, DjangoBackend)
    model = request.getfixturevalue("django_model")
    from django.db import connections

    connection = connections[backend.alias]
    if TABLE not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(model)

    class Endpoint(ModelEndpoint):
        filter_fields = ("at",)
        ordering_fields = ("at",)

    api.model(model, Endpoint, resource="moments", using=backend.alias)
    try:
        yield _logged_in(api)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(model)


def _logged_in(api: Ajax) -> Client:
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


def _local(request: pytest.FixtureRequest, naive: dt.datetime) -> dt.datetime:
    """The instant ``naive`` names: in Django's current time zone (the test
    project's is America/Chicago), in UTC on SQLAlchemy."""
    if request.node.callspec.params["client"].startswith("django"):
        from django.utils import timezone

        return timezone.make_aware(naive)
    return naive.replace(tzinfo=UTC)


def test_a_datetime_without_offset_names_one_instant_everywhere(
    client: Client, request: pytest.FixtureRequest
) -> None:
    # SQLAlchemy stored it as given: SQLite kept 10:00 and answered it with
    # no offset, PostgreSQL read it in its session's time zone (10:00 in New
    # York, 15:00 UTC) and answered that zone's offset: one body, two instants.
    naive = dt.datetime(2026, 1, 1, 10)
    made = client.post("/ajax/moments", json={"name": "naive", "at": naive.isoformat()})
    assert made.status == 201, made.json()
    shown = dt.datetime.fromisoformat(made.json()["at"])
    assert shown == _local(request, naive)
    assert shown.utcoffset() == dt.timedelta(0), made.json()["at"]
    read = client.get(f"/ajax/moments/{made.json()['id']}").json()
    assert read["at"] == made.json()["at"]
    aware = _local(request, naive) + dt.timedelta(minutes=30)
    later = client.post("/ajax/moments", json={"name": "aware", "at": aware.isoformat()})
    assert later.status == 201, later.json()
    for params, names in (
        ({"at": naive.isoformat()}, ["naive"]),
        ({"at__gte": "2026-01-01T10:00:01"}, ["aware"]),
        ({"at__lte": naive.isoformat()}, ["naive"]),
        ({"at__gte": aware.isoformat()}, ["aware"]),
    ):
        found = client.get("/ajax/moments", params={**params, "ordering": "at"})
        assert found.status == 200, found.json()
        assert [row["name"] for row in found.json()["results"]] == names, params
    first = client.get("/ajax/moments", params={"ordering": "-at", "limit": 1}).json()
    rest = client.get(
        "/ajax/moments", params={"ordering": "-at", "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [row["name"] for row in first["results"] + rest["results"]] == ["aware", "naive"]


@pytest.mark.parametrize("client", STORES[::2], indirect=True)  # SQLAlchemy's own column
def test_a_column_without_time_zone_keeps_the_utc_wall_time(client: Client) -> None:
    # PostgreSQL turned an aware value into its session's wall time (05:00
    # in New York for 10:00 UTC), where SQLite kept the UTC one.
    made = client.post(
        "/ajax/moments", json={"at": "2026-01-01T10:00:00Z", "wall": "2026-01-01T12:00:00+02:00"}
    )
    assert made.status == 201, made.json()
    assert made.json()["wall"] == "2026-01-01T10:00:00"
    naive = client.post(
        "/ajax/moments", json={"at": "2026-01-01T10:00:00Z", "wall": "2026-01-01T10:00:00"}
    )
    assert naive.json()["wall"] == "2026-01-01T10:00:00"
    found = client.get("/ajax/moments", params={"wall": "2026-01-01T11:00:00+01:00"})
    assert found.json()["count"] == 2, found.json()


@pytest.mark.parametrize("client", STORES[1::2], indirect=True)  # Django's own setting
def test_without_use_tz_an_aware_datetime_is_stored_as_django_wall_time(client: Client) -> None:
    # Without USE_TZ, Django refused to send an aware datetime to SQLite (a
    # ValueError: a 500 for a write or a filter), where PostgreSQL stored it
    # as the wall time of Django's time zone (America/Chicago here).
    from django.test import override_settings

    with override_settings(USE_TZ=False):
        made = client.post("/ajax/moments", json={"at": "2026-01-01T12:00:00+02:00"})
        assert made.status == 201, made.json()
        assert made.json()["at"] == "2026-01-01T04:00:00"
        naive = client.post("/ajax/moments", json={"at": "2026-01-01T10:00:00"})
        assert naive.json()["at"] == "2026-01-01T10:00:00"
        found = client.get("/ajax/moments", params={"at__lte": "2026-01-01T10:00:00Z"})
        assert found.status == 200, found.json()
        assert found.json()["count"] == 1


DATETIMES = (
    "2026-01-01T10:00:00",
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00+14:00",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-01:00",
    "2026-03-08T02:30:00",
    "2026-13-01T00:00:00",
    "2026-01-01",
    "1767261600",
)


@QUERY_SETTINGS
@given(pairs=list_queries(("at",), DATETIMES))
def test_datetime_queries_from_strangers_never_fail(
    client: Client, pairs: list[tuple[str, str]]
) -> None:
    if client.get("/ajax/moments").json()["count"] == 0:
        client.post("/ajax/moments", json={"at": "2026-01-01T10:00:00"})
        client.post("/ajax/moments", json={"at": "2026-01-01T10:00:00+02:00"})
    answers_cleanly(client, "/ajax/moments", pairs)
