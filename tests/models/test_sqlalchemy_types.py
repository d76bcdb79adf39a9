"""SQLAlchemy column types the model layer must read through: TypeDecorator, integer sizes,
floats, booleans, enums and aware datetimes."""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    Enum,
    Float,
    SmallInteger,
    Time,
    create_engine,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.services import postgres_url, require_postgres


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, answers aware datetimes: a typical application decorator."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Color(enum.Enum):
    # Names and values differ, as in most applications' enums.
    RED = "red"
    GREEN = "green"


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = f"ajaxkit_event_{os.getpid()}"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    small: Mapped[int] = mapped_column(SmallInteger, default=0)
    big: Mapped[int] = mapped_column(BigInteger, default=0)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A column of SQLAlchemy's own type: SQLite keeps no offset in it.
    aware: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    )
    # The database's clock: on SQLite CURRENT_TIMESTAMP, text without the
    # microseconds SQLAlchemy writes.
    stamped: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    color: Mapped[Color] = mapped_column(
        Enum(Color, name=f"ajaxkit_color_{os.getpid()}"), default=Color.RED
    )
    # timetz on PostgreSQL; SQLite's text keeps no offset.
    opens: Mapped[dt.time | None] = mapped_column(Time(timezone=True), nullable=True)


class EventEndpoint(ModelEndpoint):
    filter_fields = ("at", "small", "big", "weight", "urgent", "color", "aware", "stamped")
    ordering_fields = ("at", "urgent", "color", "aware", "stamped")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        require_postgres()
        made = create_engine(postgres_url())
    else:
        made = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(made)
    try:
        yield made
    finally:
        Base.metadata.drop_all(made)
        made.dispose()


@pytest.fixture
def client(engine: Engine) -> Client:
    api = Ajax()
    api.model(Event, EventEndpoint, resource="events", session=sessionmaker(engine))
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


def test_filters_on_a_type_decorator_parse_as_its_impl(client: Client) -> None:
    for day in (1, 2, 3):
        response = client.post("/ajax/events", json={"at": f"2024-01-0{day}T12:00:00Z"})
        assert response.status == 201, response.json()
    found = client.get("/ajax/events", params={"at__gte": "2024-01-02T00:00:00Z"})
    assert found.status == 200, found.json()
    assert found.json()["count"] == 2
    bad = client.get("/ajax/events", params={"at__gte": "not a date"})
    assert 400 <= bad.status < 500 and bad.json()["errors"][0]["parameter"] == "at__gte"


def test_cursor_pages_over_a_type_decorator(client: Client) -> None:
    for day in (1, 2, 3):
        client.post("/ajax/events", json={"at": f"2024-01-0{day}T12:00:00Z"})
    page = client.get("/ajax/events", params={"limit": 1, "ordering": "at"}).json()
    rest = client.get(
        "/ajax/events", params={"limit": 5, "ordering": "at", "cursor": page["next_cursor"]}
    )
    assert rest.status == 200, rest.json()
    assert len(rest.json()["results"]) == 2


def test_integer_sizes_follow_the_sql_type(client: Client, engine: Engine) -> None:
    small_over = client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z", "small": 2**15})
    postgres = engine.dialect.name == "postgresql"
    assert small_over.status == (422 if postgres else 201), small_over.json()
    big = client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z", "big": 2**62})
    assert big.status == 201, big.json()
    assert client.get("/ajax/events", params={"big": 2**63}).status < 500


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e400"])
def test_a_float_that_is_not_finite_is_refused(client: Client, value: str) -> None:
    # JSON cannot write it (the record came back with null), and a
    # database that stores NaN then answers a value nobody sent.
    body = {"at": "2024-01-01T00:00:00Z", "weight": value}
    created = client.post("/ajax/events", json=body)
    assert created.status == 422, created.json()
    assert created.json()["errors"][0]["pointer"] == "#/weight"
    assert created.json()["errors"][0]["code"] == "finite_number"
    assert client.get("/ajax/events").json()["count"] == 0
    found = client.get("/ajax/events", params={"weight__gte": value})
    assert found.status == 400, found.json()
    assert found.json()["errors"][0]["parameter"] == "weight__gte"


def test_boolean_bounds_and_cursors(client: Client) -> None:
    for urgent in (False, True, False, True):
        created = client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z", "urgent": urgent})
        assert created.status == 201, created.json()
    assert client.get("/ajax/events", params={"urgent__gte": "true"}).json()["count"] == 2
    assert client.get("/ajax/events", params={"urgent__lte": "true"}).json()["count"] == 4
    for ordering in ("urgent", "-urgent"):
        seen: list[int] = []
        params: dict[str, Any] = {"limit": 1, "ordering": ordering}
        while True:
            page = client.get("/ajax/events", params=params)
            assert page.status == 200, page.json()
            seen += [row["id"] for row in page.json()["results"]]
            if page.json()["next_cursor"] is None:
                break
            params["cursor"] = page.json()["next_cursor"]
        assert sorted(seen) == [1, 2, 3, 4]


def test_an_enum_is_written_as_it_is_read(client: Client) -> None:
    created = client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z", "color": "green"})
    assert created.status == 201, created.json()
    record = created.json()
    assert record["color"] == "green"
    # What a GET answers, a PUT takes back unchanged (the generated pk aside).
    pk = record.pop("id")
    replaced = client.put(f"/ajax/events/{pk}", json=record)
    assert replaced.status == 200, replaced.json()
    assert replaced.json()["color"] == "green"
    assert client.get("/ajax/events", params={"color": "green"}).json()["count"] == 1
    named = client.patch(f"/ajax/events/{pk}", json={"color": "GREEN"})
    assert named.status == 422, named.json()
    assert named.json()["errors"][0]["pointer"] == "#/color"
    client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z", "color": "red"})
    first = client.get("/ajax/events", params={"limit": 1, "ordering": "color"}).json()
    rest = client.get(
        "/ajax/events", params={"limit": 5, "ordering": "color", "cursor": first["next_cursor"]}
    )
    assert rest.status == 200, rest.json()
    assert len(first["results"] + rest.json()["results"]) == 2


def _instant(text: str) -> dt.datetime:
    # SQLite answers the stored UTC time without an offset.
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def test_an_aware_datetime_keeps_its_instant_on_every_database(client: Client) -> None:
    noon_in_paris = {"at": "2024-01-01T00:00:00Z", "aware": "2024-06-01T12:00:00+02:00"}
    first = client.post("/ajax/events", json=noon_in_paris)
    assert first.status == 201, first.json()
    later = {"at": "2024-01-01T00:00:00Z", "aware": "2024-06-01T10:30:00Z"}
    second = client.post("/ajax/events", json=later)
    ten_utc = dt.datetime(2024, 6, 1, 10, tzinfo=dt.timezone.utc)
    assert _instant(first.json()["aware"]) == ten_utc
    ordered = client.get("/ajax/events", params={"ordering": "aware"}).json()["results"]
    assert [row["id"] for row in ordered] == [first.json()["id"], second.json()["id"]]
    found = client.get("/ajax/events", params={"aware__lte": "2024-06-01T12:15:00+02:00"})
    assert [row["id"] for row in found.json()["results"]] == [first.json()["id"]]
    same = client.get("/ajax/events", params={"aware": "2024-06-01T10:00:00Z"})
    assert same.json()["count"] == 1
    page = client.get("/ajax/events", params={"ordering": "-aware", "limit": 1}).json()
    rest = client.get(
        "/ajax/events", params={"ordering": "-aware", "limit": 1, "cursor": page["next_cursor"]}
    )
    assert [row["id"] for row in rest.json()["results"]] == [first.json()["id"]]


def _walk(client: Client, ordering: str) -> list[int]:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2, "ordering": ordering}
    for _ in range(10):  # a cursor that never ends is a failure too
        page = client.get("/ajax/events", params=params).json()
        seen += [row["id"] for row in page["results"]]
        if page["next_cursor"] is None:
            return seen
        params["cursor"] = page["next_cursor"]
    raise AssertionError(f"the cursor pages never end: {seen}")


def test_cursor_pages_over_a_database_default_timestamp(client: Client) -> None:
    # Rows stamped within one second tie on the database's timestamp: the
    # pk orders them, and every row is on exactly one page.
    for _ in range(5):
        assert client.post("/ajax/events", json={"at": "2024-01-01T00:00:00Z"}).status == 201
    assert sorted(_walk(client, "stamped")) == [1, 2, 3, 4, 5]
    assert sorted(_walk(client, "-stamped")) == [1, 2, 3, 4, 5]
    shown = client.get("/ajax/events/1").json()["stamped"]
    same = client.get("/ajax/events", params={"stamped__lte": shown, "stamped__gte": shown})
    assert 1 in [row["id"] for row in same.json()["results"]]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
@pytest.mark.parametrize("field", ["at", "aware"])
def test_an_instant_no_datetime_can_hold_in_utc_is_refused(
    client: Client, field: str, value: str
) -> None:
    # Stored in UTC (by the column or by its TypeDecorator), the instant
    # falls in year 0 or 10000: Python's datetime raised OverflowError.
    body = {"at": "2024-01-01T00:00:00Z", field: value}
    created = client.post("/ajax/events", json=body)
    assert created.status == 422, created.json()
    assert created.json()["errors"][0]["pointer"] == f"#/{field}"
    found = client.get("/ajax/events", params={f"{field}__gte": value})
    assert found.status == 400, found.json()
    assert found.json()["errors"][0]["parameter"] == f"{field}__gte"
    edge = {"at": "2024-01-01T00:00:00Z", field: "0001-01-01T00:00:00Z"}
    assert client.post("/ajax/events", json=edge).status == 201


def test_a_time_column_with_a_time_zone_answers_its_offset(client: Client, engine: Engine) -> None:
    # orjson refuses a time with an offset: the write was stored, then its
    # answer (and every read of the record) was a 500.
    made = client.post(
        "/ajax/events", json={"at": "2024-01-01T00:00:00Z", "opens": "12:30:00+02:00"}
    )
    if engine.dialect.name == "sqlite":
        assert made.status == 422, made.json()
        assert made.json()["errors"][0]["code"] == "time_offset"
        return
    assert made.status == 201, made.json()
    assert made.json()["opens"] == "12:30:00+02:00"
    read = client.get(f"/ajax/events/{made.json()['id']}")
    assert read.status == 200, read.json()
    assert read.json()["opens"] == "12:30:00+02:00"
