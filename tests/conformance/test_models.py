"""Rules M1-M2: entity tags and preconditions of model endpoints, on every integration.

Posts by writers, over SQLite in memory: a post has a version field and
requires ``If-Match``; its writer expands into it.  The whole model layer
is tested on both ORMs and databases in ``tests/models/``; this holds the
wire to the rules on each framework.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.pool import StaticPool

import ajaxkit.sqlalchemy  # noqa: F401  (registers the SQLAlchemy repository)
from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from tests.conformance.clients.base import Client


class Base(DeclarativeBase):
    pass


class Writer(Base):
    __tablename__ = "conformance_writer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Post(Base):
    __tablename__ = "conformance_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    writer_id: Mapped[int] = mapped_column(ForeignKey("conformance_writer.id"))
    writer: Mapped[Writer] = relationship()
    version: Mapped[int] = mapped_column(default=1)


class Writers(ModelEndpoint):
    fields = ("id", "name")


class Posts(ModelEndpoint):
    fields = ("id", "title", "writer", "version")
    version_field = "version"
    require_if_match = True


@pytest.fixture
def client(client_class: type[Client]) -> Iterator[Client]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    api = Ajax()
    session = sessionmaker(engine)
    api.model(Writer, Writers, resource="writers", session=session)
    api.model(Post, Posts, resource="posts", session=session)
    instance = client_class(apis={"/ajax": api})
    instance.login("alice")
    try:
        yield instance
    finally:
        instance.close()
        engine.dispose()


def _post(client: Client) -> tuple[str, str]:
    """A post and its writer: their urls."""
    writer = client.post("/ajax/writers", json={"name": "Ann"})
    post = client.post("/ajax/posts", json={"title": "T", "writer": writer.json()["id"]})
    assert post.status == 201, post.json()
    return post.headers["Location"], writer.headers["Location"]


def test_M1_an_expanded_record_has_a_tag_of_its_own(client: Client) -> None:
    url, writer_url = _post(client)
    expand = {"expand": "writer"}
    plain = client.get(url).headers["ETag"]
    expanded = client.get(url, params=expand).headers["ETag"]
    assert plain == '"v1"' and expanded != plain
    assert client.get(url, params=expand, headers={"If-None-Match": expanded}).status == 304
    assert client.get(url, params=expand, headers={"If-None-Match": plain}).status == 200
    assert client.get(url, headers={"If-None-Match": expanded}).status == 200
    # The writer changes, the post (and its version) does not.
    assert client.patch(writer_url, json={"name": "Anne"}).status == 200
    again = client.get(url, params=expand, headers={"If-None-Match": expanded})
    assert again.status == 200 and again.json()["writer"]["name"] == "Anne"
    assert again.headers["ETag"] != expanded
    assert client.get(url, headers={"If-None-Match": plain}).status == 304


def test_M1_if_match_takes_the_tag_of_any_representation_of_the_version(client: Client) -> None:
    url, _ = _post(client)
    read = client.get(url, params={"expand": "writer"}).headers["ETag"]
    changed = client.patch(url, json={"title": "U"}, headers={"If-Match": read})
    assert changed.status == 200 and changed.headers["ETag"] == '"v2"'
    assert client.patch(url, json={"title": "V"}, headers={"If-Match": read}).status == 412


def test_M2_a_required_if_match_must_name_a_version(client: Client) -> None:
    url, _ = _post(client)
    for headers in ({}, {"If-Match": "*"}, {"If-Match": '"v0", *'}):
        for response in (
            client.patch(url, json={"title": "U"}, headers=headers),
            client.delete(url, headers=headers),
        ):
            assert response.status == 428, (headers, response.json())
            assert response.json()["code"] == "precondition_required"
    assert client.get(url).json()["version"] == 1
    assert client.patch(url, json={"title": "U"}, headers={"If-Match": '"v1"'}).status == 200
