"""live.model(): committed model changes reach subscribers, and only rows they may see."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, String, Table, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

import ajaxkit.sqlalchemy  # noqa: F401  (registers the SQLAlchemy repository)
from ajaxkit import Ajax, AjaxRequest, RegistrationError
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.live import Live
from ajaxkit.testing import Client


class Base(DeclarativeBase):
    pass


memo_labels = Table(
    "live_memo_labels",
    Base.metadata,
    Column("memo_id", ForeignKey("live_memo.id"), primary_key=True),
    Column("label_id", ForeignKey("live_label.id"), primary_key=True),
)


class Label(Base):
    __tablename__ = "live_label"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Memo(Base):
    __tablename__ = "live_memo"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(50), default="")
    labels: Mapped[list[Label]] = relationship(secondary=memo_labels)


@dataclass
class User:
    username: str
    is_authenticated: bool = True

    @property
    def pk(self) -> str:
        return self.username


class OpenMemos(ModelEndpoint):
    fields = ("id", "title", "owner")


class OwnMemos(ModelEndpoint):
    fields = ("id", "title", "owner")

    def get_queryset(self, request: AjaxRequest) -> Any:
        return super().get_queryset(request).where(Memo.owner == request.user.username)

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        return {**values, "owner": request.user.username} if obj is None else values


@pytest.fixture
def session_factory(tmp_path: Path) -> Iterator[Any]:
    engine = create_engine(f"sqlite:///{tmp_path / 'memos.sqlite3'}")
    Base.metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def _poll(client: Client, topic: str, cursor: str | None = None) -> Any:
    params: dict[str, Any] = {"topic": topic, "timeout": 0}
    if cursor:
        params["cursor"] = cursor
    return client.get("/ajax/_live/poll", params=params)


def test_an_open_endpoint_publishes_every_change_to_its_model_topic(session_factory: Any) -> None:
    api = Ajax()
    api.model(Memo, OpenMemos, resource="memos", session=session_factory)
    live = Live(api)
    assert live.model(Memo) == "models/memos"
    client = Client(api)
    client.login(User("alice"))
    start = _poll(client, "models/memos").json()["cursor"]
    created = client.post("/ajax/memos", json={"title": "one"})
    assert created.status == 201, created
    pk = created.json()["id"]
    assert client.patch(f"/ajax/memos/{pk}", json={"title": "two"}).status == 200
    assert client.delete(f"/ajax/memos/{pk}").status == 204
    events = _poll(client, "models/memos", start).json()["events"]
    assert [(e["data"]["action"], e["data"]["record"]["title"]) for e in events] == [
        ("created", "one"),
        ("updated", "two"),
        ("deleted", "two"),
    ]
    assert {e["data"]["pk"] for e in events} == {pk}


def test_a_refused_write_publishes_nothing(session_factory: Any) -> None:
    api = Ajax()
    api.model(Memo, OpenMemos, resource="memos", session=session_factory)
    live = Live(api)
    live.model(Memo)
    client = Client(api)
    client.login(User("alice"))
    start = _poll(client, "models/memos").json()["cursor"]
    assert client.post("/ajax/memos", json={"title": "x" * 500}).status == 422
    assert _poll(client, "models/memos", start).json()["events"] == []


def test_the_model_topic_is_authorized_like_a_list(session_factory: Any) -> None:
    api = Ajax()
    api.model(Memo, OpenMemos, resource="memos", session=session_factory)
    Live(api).model(Memo)
    anonymous = Client(api)
    assert _poll(anonymous, "models/memos").status == 401  # anonymous may not list


def test_a_scoped_endpoint_without_row_topics_is_refused_at_registration(
    session_factory: Any,
) -> None:
    api = Ajax()
    api.model(Memo, OwnMemos, resource="memos", session=session_factory)
    with pytest.raises(RegistrationError, match=r"memos.*get_queryset"):
        Live(api).model(Memo)


@pytest.mark.parametrize(
    "topics",
    [
        lambda: ["memos/x"],  # takes no record
        lambda record, request: ["memos/x"],  # wants more than the record
        "memos/{owner}",  # not a function at all
    ],
)
def test_row_topics_that_cannot_be_called_with_a_record_are_refused(
    session_factory: Any, topics: Any
) -> None:
    # They were called only after a change committed, where the failure is
    # logged and the change's event lost.
    api = Ajax()
    api.model(Memo, OwnMemos, resource="memos", session=session_factory)
    with pytest.raises(RegistrationError, match=r"memos.*topics"):
        Live(api).model(Memo, topics=topics)


def test_async_row_topics_are_refused(session_factory: Any) -> None:
    # Called after the commit as a function, its coroutine was no list of
    # topics: every change's event was lost (logged as an after-commit error).
    async def topics(record: Any) -> list[str]:
        return [f"memos/{record['owner']}"]

    api = Ajax()
    api.model(Memo, OwnMemos, resource="memos", session=session_factory)
    with pytest.raises(RegistrationError, match=r"memos.*topics.*async def.*plain function"):
        Live(api).model(Memo, topics=topics)  # type: ignore[arg-type]


def test_row_topics_reach_only_the_rows_owner(session_factory: Any) -> None:
    api = Ajax()
    api.model(Memo, OwnMemos, resource="memos", session=session_factory)
    live = Live(api)
    live.topic(
        "memos/{owner}",
        authorize=lambda request, topic, action: topic == f"memos/{request.user.username}",
    )
    assert live.model(Memo, topics=lambda record: [f"memos/{record['owner']}"]) is None
    alice, bob = Client(api), Client(api)
    alice.login(User("alice"))
    bob.login(User("bob"))
    start = _poll(alice, "memos/alice").json()["cursor"]
    assert _poll(bob, "memos/alice").status == 403  # bob cannot listen to alice's rows
    assert alice.post("/ajax/memos", json={"title": "mine"}).status == 201
    assert bob.post("/ajax/memos", json={"title": "his"}).status == 201
    alice_events = _poll(alice, "memos/alice", start).json()["events"]
    assert [e["data"]["record"]["title"] for e in alice_events] == ["mine"]
    bob_events = _poll(bob, "memos/bob", start).json()["events"]
    assert [e["data"]["record"]["title"] for e in bob_events] == ["his"]


def test_row_topics_returning_one_string_is_one_clear_error(
    session_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A string is a sequence of strings too: each of its characters was
    # published to as a topic, one undeclared-topic error per character.
    api = Ajax()
    api.model(Memo, OwnMemos, resource="memos", session=session_factory)
    live = Live(api)
    live.topic("memos/{owner}")
    live.model(Memo, topics=lambda record: f"memos/{record['owner']}")
    alice = Client(api)
    alice.login(User("alice"))
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        assert alice.post("/ajax/memos", json={"title": "mine"}).status == 201
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "'memos/alice'" in errors[0] and "list" in errors[0]


class AnonymousMemos(ModelEndpoint):
    fields = ("id", "title", "labels")
    allow_anonymous = True


class OpenLabels(ModelEndpoint):
    pass


class AnonymousLabels(ModelEndpoint):
    allow_anonymous = True


class NarrowLabels(ModelEndpoint):
    def can_get(self, user: Any, obj: Any) -> bool:
        return bool(obj.name != "secret")


@pytest.mark.parametrize(
    ("memos", "labels", "omitted"),
    [
        (OpenMemos, None, []),  # no endpoint: not scoped, shown as stored
        (OpenMemos, OpenLabels, []),  # both refuse anonymous users alike
        (AnonymousMemos, AnonymousLabels, []),
        (AnonymousMemos, OpenLabels, ["labels"]),  # an anonymous read sees none
        (OpenMemos, NarrowLabels, ["labels"]),  # a read filters by can_get
    ],
)
def test_a_relation_some_readers_see_less_of_is_omitted(
    session_factory: Any, memos: type[ModelEndpoint], labels: Any, omitted: list[str]
) -> None:
    class Memos(memos):  # type: ignore[misc,valid-type]  # a parameter as base
        fields = ("id", "title", "labels")

    api = Ajax()
    api.model(Memo, Memos, resource="memos", session=session_factory)
    if labels is not None:
        api.model(Label, labels, resource="labels", session=session_factory)
    with session_factory.begin() as session:
        session.add(Label(id=1, name="shared"))
    live = Live(api)
    live.model(Memo)
    client = Client(api)
    client.login(User("alice"))
    start = _poll(client, "models/memos").json()["cursor"]
    assert client.post("/ajax/memos", json={"title": "one", "labels": [1]}).status == 201
    (event,) = _poll(client, "models/memos", start).json()["events"]
    assert event["data"]["omitted"] == omitted
    shown = {"id", "title", "labels"} - set(omitted)
    assert set(event["data"]["record"]) == shown


def test_model_without_an_endpoint_is_a_clear_error() -> None:
    with pytest.raises(RegistrationError, match=r"api\.model"):
        Live(Ajax()).model(Memo)
