"""Deleting a row other rows still refer to: a conflict, never a body error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, ForeignKey, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.services import postgres_url, require_postgres


class Base(DeclarativeBase):
    pass


class Brand(Base):
    __tablename__ = f"ajaxkit_brand_{os.getpid()}"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Product(Base):
    __tablename__ = f"ajaxkit_product_{os.getpid()}"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # No ON DELETE: the database refuses to delete a brand still in use.
    brand_id: Mapped[int] = mapped_column(ForeignKey(f"{Brand.__tablename__}.id"))


def _enforce_foreign_keys(connection: Any, record: Any) -> None:
    connection.execute("PRAGMA foreign_keys=ON")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        require_postgres()
        made = create_engine(postgres_url())
    else:
        made = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
        event.listen(made, "connect", _enforce_foreign_keys)
    Base.metadata.create_all(made)
    try:
        yield made
    finally:
        Base.metadata.drop_all(made)
        made.dispose()


@pytest.fixture
def client(engine: Engine) -> Client:
    api = Ajax()
    sessions = sessionmaker(engine)
    api.model(Brand, ModelEndpoint, resource="brands", session=sessions)
    api.model(Product, ModelEndpoint, resource="products", session=sessions)
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    return client


def test_deleting_a_row_still_referred_to_is_409(client: Client) -> None:
    brand = client.post("/ajax/brands", json={"name": "Acme"}).json()
    made = client.post("/ajax/products", json={"name": "Anvil", "brand_id": brand["id"]})
    assert made.status == 201, made.json()
    response = client.delete(f"/ajax/brands/{brand['id']}")
    # A DELETE has no body: a 422 pointing into one told the client to fix
    # input it never sent.
    assert response.status == 409, response.json()
    assert response.json()["code"] == "conflict"
    assert "errors" not in response.json()
    assert client.get(f"/ajax/brands/{brand['id']}").status == 200
    client.delete(f"/ajax/products/{made.json()['id']}")
    assert client.delete(f"/ajax/brands/{brand['id']}").status == 204
