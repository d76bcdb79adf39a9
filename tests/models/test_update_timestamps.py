"""A timestamp the ORM keeps current on every save (Django's ``auto_now``,
SQLAlchemy's ``onupdate``) changes when a record is updated, on both ORMs."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import DateTime, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import setup_django

TABLE = f"ajaxkit_page_{os.getpid()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Page(Base):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


class PageEndpoint(ModelEndpoint):
    read_only = ("updated_at",)


@pytest.fixture(scope="module")
def django_model() -> Iterator[Any]:
    setup_django()
    from django.db import connection, models

    class DjangoPage(models.Model):
        title: models.CharField[str, str] = models.CharField(max_length=50)
        updated_at: models.DateTimeField[dt.datetime, dt.datetime] = models.DateTimeField(
            auto_now=True
        )

        class Meta:
            app_label = "catalog"
            db_table = TABLE

    with connection.schema_editor() as editor:
        editor.create_model(DjangoPage)
    try:
        yield DjangoPage
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(DjangoPage)


@pytest.fixture(params=["sqlalchemy", pytest.param("django", marks=pytest.mark.django)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    api = Ajax()
    if request.param == "django":
        api.model(request.getfixturevalue("django_model"), PageEndpoint, resource="pages")
        yield _logged_in(api)
        return
    engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    api.model(Page, PageEndpoint, resource="pages", session=sessionmaker(engine))
    try:
        yield _logged_in(api)
    finally:
        engine.dispose()


def _logged_in(api: Ajax) -> Client:
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_update_keeps_the_updated_timestamp_current(client: Client, method: str) -> None:
    # Django saved only the fields the body named (update_fields), and an
    # auto_now field is set only when it is saved: it kept the time of the
    # create forever, and so did the ETag of a record showing it.
    made = client.post("/ajax/pages", json={"title": "Draft"})
    assert made.status == 201, made.json()
    before = dt.datetime.fromisoformat(made.json()["updated_at"])
    changed = getattr(client, method)(f"/ajax/pages/{made.json()['id']}", json={"title": "Final"})
    assert changed.status == 200, changed.json()
    assert dt.datetime.fromisoformat(changed.json()["updated_at"]) > before
    assert changed.headers["ETag"] != made.headers["ETag"]
