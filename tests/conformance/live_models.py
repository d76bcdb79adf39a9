"""The conformance app's live model endpoints (rules L12, P8), over SQLite in memory.

Items carry to-many marks; a mark is seen only by the user who made it, so
a read of an item shows each user their own marks, and ``models/items``
(which everyone who may list items may hear) must not tell of anyone's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, create_engine, event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

import ajaxkit.sqlalchemy  # noqa: F401  (registers the SQLAlchemy repository)
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change, ModelEndpoint
from ajaxkit.live import Live

__all__ = ["live_model_endpoints"]


class Base(DeclarativeBase):
    pass


item_marks = Table(
    "conformance_item_marks",
    Base.metadata,
    Column("item_id", ForeignKey("conformance_item.id"), primary_key=True),
    Column("mark_id", ForeignKey("conformance_mark.id"), primary_key=True),
)


class Mark(Base):
    __tablename__ = "conformance_mark"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(50), default="")


class Item(Base):
    __tablename__ = "conformance_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    marks: Mapped[list[Mark]] = relationship(secondary=item_marks)


class Items(ModelEndpoint):
    fields = ("id", "title", "marks")


class Marks(ModelEndpoint):
    fields = ("id", "owner")
    read_only = ("owner",)

    def get_queryset(self, request: AjaxRequest) -> Any:
        username = getattr(request.user, "username", "")
        return super().get_queryset(request).where(Mark.owner == username)

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        return {**values, "owner": request.user.username} if obj is None else values


class Fragile(Base):
    __tablename__ = "conformance_fragile"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


class AfterCommitFailure(RuntimeError):
    """Raised after a write of ``fragile`` committed (rule P8)."""


def _fail_on(step: str, record: Any) -> None:
    if str(record["title"]).startswith(step):
        raise AfterCommitFailure(f"{step} failed after the commit")


class Fragiles(ModelEndpoint):
    """Its ``created`` hook raises for titles starting ``hook``; its live
    topics function for titles starting ``topics``; the session factory's
    ``after_commit`` listener for titles starting ``listener``."""

    fields = ("id", "title")

    def created(self, request: AjaxRequest, change: Change) -> None:
        _fail_on("hook", change.record)


def _listen_for_failures(factory: sessionmaker[Session]) -> None:
    """The application's own ``after_commit`` listener on the session
    factory, raising once a ``fragile`` titled ``listener...`` committed."""

    @event.listens_for(factory, "after_flush")
    def written(session: Session, context: Any) -> None:
        titles = [row.title for row in session.new if isinstance(row, Fragile)]
        session.info.setdefault("fragile", []).extend(titles)

    @event.listens_for(factory, "after_commit")
    def committed(session: Session) -> None:
        for title in session.info.pop("fragile", []):
            _fail_on("listener", {"title": title})


def _fragile_topics(record: Any) -> list[str]:
    _fail_on("topics", record)
    return ["models/fragile"]


def live_model_endpoints(api: Ajax, live: Live) -> None:
    """``<mount>/items`` and ``<mount>/marks``, items published to
    ``models/items``; ``<mount>/fragile``, whose after-commit work fails on
    demand, published to ``models/fragile``."""
    # One connection shared by every thread: an in-memory database lives in it.
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    session = sessionmaker(engine)
    api.model(Item, Items, resource="items", session=session)
    api.model(Mark, Marks, resource="marks", session=session)
    live.model(Item)
    _listen_for_failures(session)
    api.model(Fragile, Fragiles, resource="fragile", session=session)
    live.topic("models/fragile")
    live.model(Fragile, topics=_fragile_topics)
