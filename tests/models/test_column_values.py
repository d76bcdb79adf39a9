"""Values at the edges of what a column holds, the same on both ORMs and both databases:
decimals no database can compare with, NULLs in an ordering, values outside a field's
choices, durations longer than a column holds, text that is no IP address, times of day
with an offset."""

from __future__ import annotations

import datetime as dt
import decimal
import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Enum, Interval, Numeric, String, Time, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import STORES, Backend, DjangoBackend
from tests.models.conftest import _backend
from tests.services import postgres_url, require_postgres

TABLE = f"ajaxkit_reading_{os.getpid()}"


class Base(DeclarativeBase):
    pass


class Reading(Base):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(20), nullable=True)
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(8, 2), default=0)
    # No precision: PostgreSQL's numeric then holds any value up to its
    # own limits (131,072 digits before the point, 16,383 after).
    amount: Mapped[decimal.Decimal | None] = mapped_column(Numeric, nullable=True)
    # A native enum on PostgreSQL: it compares with its own members only.
    state: Mapped[str] = mapped_column(
        Enum("open", "closed", name=f"ajaxkit_state_{os.getpid()}"), default="open"
    )
    took: Mapped[dt.timedelta | None] = mapped_column(Interval, nullable=True)
    opens: Mapped[dt.time | None] = mapped_column(Time, nullable=True)


class ReadingEndpoint(ModelEndpoint):
    filter_fields = ("name", "label", "price", "amount", "state", "took", "opens")
    ordering_fields = ("name", "label", "price")


@pytest.fixture(scope="module")
def django_model() -> Any:
    from tests.models.backends import setup_django

    setup_django()
    from django.db import models

    class DjangoReading(models.Model):
        name: models.CharField[str, str] = models.CharField(max_length=20)
        label: models.CharField[str | None, str | None] = models.CharField(
            max_length=20, null=True, blank=True
        )
        price: models.DecimalField[decimal.Decimal, decimal.Decimal] = models.DecimalField(
            max_digits=8, decimal_places=2, default=0
        )
        state: models.CharField[str, str] = models.CharField(
            max_length=10, choices=[("open", "Open"), ("closed", "Closed")], default="open"
        )
        took: models.DurationField[dt.timedelta | None, dt.timedelta | None] = models.DurationField(
            null=True
        )
        ip: models.GenericIPAddressField[str | None, str | None] = models.GenericIPAddressField(
            null=True
        )

        opens: models.TimeField[dt.time | None, dt.time | None] = models.TimeField(null=True)

        at: models.DateTimeField[dt.datetime | None, dt.datetime | None] = models.DateTimeField(
            null=True
        )

        class Meta:
            app_label = "catalog"
            db_table = TABLE

    return DjangoReading


@pytest.fixture(params=STORES)
def client(
    request: pytest.FixtureRequest, backends: dict[str, Backend], tmp_path: Any
) -> Iterator[Client]:
    api = Ajax()
    if request.param.startswith("django"):
        yield from _django_client(request, backends, api)
        return
    if request.param.endswith("postgres"):
        require_postgres()
        engine = create_engine(postgres_url())
    else:
        engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    api.model(Reading, ReadingEndpoint, resource="readings", session=sessionmaker(engine))
    try:
        yield _logged_in(api)
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


def _django_client(
    request: pytest.FixtureRequest, backends: dict[str, Backend], api: Ajax
) -> Iterator[Client]:
    backend = _backend(request.param, backends)
    assert isinstance(backend, DjangoBackend)
    model = request.getfixturevalue("django_model")
    from django.db import connections

    connection = connections[backend.alias]
    # A backend made after the model was defined made its table (migrate's syncdb).
    if TABLE not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(model)

    class Endpoint(ModelEndpoint):
        filter_fields = ("name", "label", "price", "state", "took", "ip", "opens", "at")
        ordering_fields = ReadingEndpoint.ordering_fields

    api.model(model, Endpoint, resource="readings", using=backend.alias)
    try:
        yield _logged_in(api)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(model)


def _logged_in(api: Ajax) -> Client:
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e999999", "decimal_whole_digits"),
        ("1000000", "decimal_whole_digits"),
        ("1e-20000", "decimal_max_places"),
    ],
)
def test_a_decimal_filter_the_column_cannot_hold_is_a_400(
    client: Client, value: str, code: str
) -> None:
    # PostgreSQL refused to compare numbers beyond its numeric type
    # ("value overflows numeric format"): a 500 for a typo in a URL.
    assert client.post("/ajax/readings", json={"name": "a", "price": "12.50"}).status == 201
    for param in ("price", "price__gte", "price__lte"):
        response = client.get("/ajax/readings", params={param: value})
        assert response.status == 400, response.json()
        error = response.json()["errors"][0]
        assert (error["parameter"], error["code"]) == (param, code)
    within = client.get("/ajax/readings", params={"price__gte": "999999.99"})
    assert within.status == 200, within.json()
    assert within.json()["count"] == 0


@pytest.mark.parametrize("client", STORES[::2], indirect=True)  # a Django DecimalField has digits
def test_an_unbounded_decimal_takes_what_the_database_holds(client: Client) -> None:
    huge = client.post("/ajax/readings", json={"name": "a", "amount": "1e999999"})
    assert huge.status == 422, huge.json()
    assert huge.json()["errors"][0]["pointer"] == "#/amount"
    fine = client.post("/ajax/readings", json={"name": "b", "amount": "1e300"})
    assert fine.status == 201, fine.json()
    found = client.get("/ajax/readings", params={"amount__gte": "1e-20000"})
    assert found.status == 400, found.json()
    assert client.get("/ajax/readings", params={"amount__gte": "1e299"}).json()["count"] == 1


def test_nulls_sort_alike_on_every_database(client: Client) -> None:
    # SQLite sorted NULL first and PostgreSQL last: the same page of the
    # same list held other rows depending on the database.
    for name, label in (("a", "b"), ("b", None), ("c", "a"), ("d", None), ("e", "c")):
        made = client.post("/ajax/readings", json={"name": name, "label": label})
        assert made.status == 201, made.json()

    def names(ordering: str) -> list[str]:
        page = client.get("/ajax/readings", params={"ordering": ordering})
        assert page.status == 200, page.json()
        return [row["name"] for row in page.json()["results"]]

    # PostgreSQL's order: NULL after every value, so first when descending.
    assert names("label") == ["c", "a", "e", "b", "d"]
    assert names("-label") == ["b", "d", "e", "a", "c"]
    assert names("-label,-name") == ["d", "b", "e", "a", "c"]
    first = client.get("/ajax/readings", params={"ordering": "label", "limit": 3}).json()
    rest = client.get(
        "/ajax/readings", params={"ordering": "label", "limit": 3, "offset": 3}
    ).json()
    assert [row["name"] for row in first["results"] + rest["results"]] == names("label")


def test_a_filter_on_a_field_with_choices_takes_one_of_them(client: Client) -> None:
    # A PostgreSQL enum refused to compare with anything else ("invalid
    # input value for enum"): a 500, where SQLite answered no rows.
    assert client.post("/ajax/readings", json={"name": "a", "state": "closed"}).status == 201
    for param, value in (("state", "shut"), ("state__in", "closed,shut"), ("state__gte", "c")):
        response = client.get("/ajax/readings", params={param: value})
        assert response.status == 400, response.json()
        error = response.json()["errors"][0]
        assert error["parameter"] == param
        assert "'shut'" in error["detail"] or "'c'" in error["detail"]
        assert "closed, open" in error["detail"]
    chosen = {"state__in": "closed,open", "state__gte": "closed"}
    found = client.get("/ajax/readings", params=chosen)
    assert found.status == 200, found.json()
    assert found.json()["count"] == 1


def test_a_duration_longer_than_the_column_holds_is_refused(
    client: Client, request: pytest.FixtureRequest
) -> None:
    # SQLite has no interval type: Django stores microseconds in 64 bits,
    # SQLAlchemy a datetime after 1970. A longer duration failed the write
    # or the filter with an OverflowError, a 500. PostgreSQL's interval
    # holds every timedelta.
    sqlite = request.node.callspec.params["client"].endswith("sqlite")
    for value in ("P999999999D", "-P999999999D"):
        made = client.post("/ajax/readings", json={"name": "long", "took": value})
        assert made.status == (422 if sqlite else 201), made.json()
        found = client.get("/ajax/readings", params={"took__gte": value})
        assert found.status == (400 if sqlite else 200), found.json()
        if sqlite:
            assert made.json()["errors"][0]["pointer"] == "#/took"
            assert found.json()["errors"][0]["parameter"] == "took__gte"
    made = client.post("/ajax/readings", json={"name": "held", "took": "P100000D"})
    assert made.status == 201, made.json()
    assert client.get("/ajax/readings", params={"took__gte": "P99999D"}).status == 200


@pytest.mark.parametrize("client", STORES[1::2], indirect=True)  # Django's own field
def test_a_filter_on_an_ip_address_field_takes_an_address(client: Client) -> None:
    # PostgreSQL stores it as inet, and psycopg refused to send "nope" as
    # one: a ValueError, so a 500, where the same write was a 422.
    made = client.post("/ajax/readings", json={"name": "a", "ip": "10.0.0.1"})
    assert made.status == 201, made.json()
    refused = client.post("/ajax/readings", json={"name": "b", "ip": "nope"})
    assert refused.status == 422, refused.json()
    for param in ("ip", "ip__gte", "ip__in"):
        response = client.get("/ajax/readings", params={param: "nope"})
        assert response.status == 400, response.json()
        error = response.json()["errors"][0]
        assert error["parameter"] == param
        assert error["detail"] == refused.json()["errors"][0]["detail"]
    found = client.get("/ajax/readings", params={"ip__in": "10.0.0.1,::1"})
    assert found.status == 200, found.json()
    assert found.json()["count"] == 1


def test_a_time_of_day_with_an_offset_is_refused(client: Client) -> None:
    # A time column keeps no offset: Django refused to send one to SQLite
    # (a ValueError, so a 500), and PostgreSQL dropped it, storing 12:00
    # for 12:00+02:00.
    for value in ("12:00:00+02:00", "12:00:00Z"):
        made = client.post("/ajax/readings", json={"name": "a", "opens": value})
        assert made.status == 422, made.json()
        error = made.json()["errors"][0]
        assert (error["pointer"], error["code"]) == ("#/opens", "time_offset")
        found = client.get("/ajax/readings", params={"opens__gte": value})
        assert found.status == 400, found.json()
        assert found.json()["errors"][0]["parameter"] == "opens__gte"
    made = client.post("/ajax/readings", json={"name": "b", "opens": "12:00:00"})
    assert made.status == 201, made.json()
    assert made.json()["opens"] == "12:00:00"
    assert client.get("/ajax/readings", params={"opens__gte": "11:00"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("value", "code"), [("1.234", "decimal_max_places"), ("1234567.5", "decimal_whole_digits")]
)
def test_a_decimal_write_keeps_to_the_column_digits(client: Client, value: str, code: str) -> None:
    # The column keeps two places: 1.234 was stored as 1.23, a value no
    # client sent.
    made = client.post("/ajax/readings", json={"name": "a", "price": value})
    assert made.status == 422, made.json()
    error = made.json()["errors"][0]
    assert (error["pointer"], error["code"]) == ("#/price", code)
    assert client.get("/ajax/readings").json()["count"] == 0


@pytest.mark.parametrize("client", STORES[1::2], indirect=True)  # Django's own time zone
def test_a_datetime_without_offset_is_read_in_the_current_time_zone(client: Client) -> None:
    # Django reads a datetime without an offset in its current time zone
    # (the test project's is America/Chicago), with a RuntimeWarning on
    # every request; the end of year 9999 there is past it in UTC, an
    # OverflowError: a 500.
    from django.utils import timezone

    late = "9999-12-31T23:00:00"
    made = client.post("/ajax/readings", json={"name": "a", "at": late})
    assert made.status == 422, made.json()
    assert made.json()["errors"][0]["code"] == "datetime_range"
    found = client.get("/ajax/readings", params={"at__gte": late})
    assert found.status == 400, found.json()
    made = client.post("/ajax/readings", json={"name": "b", "at": "2024-06-01T12:00:00"})
    assert made.status == 201, made.json()
    expected = timezone.make_aware(dt.datetime(2024, 6, 1, 12))
    assert dt.datetime.fromisoformat(made.json()["at"]) == expected
    for value, count in (("2024-06-01T12:00:00", 1), ("2024-06-01T12:00:01", 0)):
        found = client.get("/ajax/readings", params={"at__gte": value})
        assert found.json()["count"] == count, found.json()
