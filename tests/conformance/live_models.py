"""The conformance app's live model endpoints (rule L12), over SQLite in memory.

Items carry to-many marks; a mark is seen only by the user who made it, so
a read of an item shows each user their own marks, and ``models/items``
(which everyone who may list items may hear) must not tell of anyone's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.pool import StaticPool

import ajaxkit.sqlalchemy  # noqa: F401  (registers the SQLAlchemy repository)
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
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


def live_model_endpoints(api: Ajax, live: Live) -> None:
    """``<mount>/items`` and ``<mount>/marks``, items published to ``models/items``."""
    # One connection shared by every thread: an in-memory database lives in it.
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    session = sessionmaker(engine)
    api.model(Item, Items, resource="items", session=session)
    api.model(Mark, Marks, resource="marks", session=session)
    live.model(Item)
