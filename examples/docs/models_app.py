"""docs/models.md: a note model on SQLAlchemy and the endpoint that serves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.pool import StaticPool

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint, action
from ajaxkit.sqlalchemy import SQLAlchemyTransactions, session_for


class Base(DeclarativeBase):
    pass


# --8<-- [start:model]
note_tags = Table(
    "note_tags",
    Base.metadata,
    Column("note_id", ForeignKey("note.id"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id"), primary_key=True),
)


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Tag(Base):
    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50))


class Note(Base):
    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    owner: Mapped[str] = mapped_column(String(150), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("author.id"))
    author: Mapped[Author | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=note_tags)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# --8<-- [end:model]


# One in-memory database for the example; use your own engine.
engine = create_engine("sqlite://", poolclass=StaticPool)
Base.metadata.create_all(engine)
SessionLocal = sessionmaker(engine)


# --8<-- [start:endpoint]
class NoteEndpoint(ModelEndpoint):
    fields = ("id", "title", "body", "status", "author", "tags", "created_at")
    read_only = ("status", "created_at")
    search_fields = ("title", "body")
    filter_fields = ("author", "status")
    ordering_fields = ("created_at", "title")

    def get_queryset(self, request: AjaxRequest) -> Any:
        # Django: a QuerySet (.filter(owner=...)); SQLAlchemy: a Select.
        return super().get_queryset(request).where(Note.owner == request.user.username)

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        if obj is None:  # a create: the owner is who asked, never the client's say
            values["owner"] = request.user.username
        return values

    def can_update(self, user: Any, obj: Note) -> bool:
        return bool(obj.owner == user.username)

    @action  # POST notes/<pk>/publish
    def publish(self, request: AjaxRequest, obj: Note) -> None:
        self.write(request, obj, {"status": "published"})


api = Ajax()
api.model(Note, NoteEndpoint, resource="notes", session=SessionLocal)
# Django: api.model(Note, NoteEndpoint, resource="notes")  (using="alias" optional)
# --8<-- [end:endpoint]

api.batch()  # POST /ajax/_batch, atomic batches included


# --8<-- [start:plain]
@api.endpoint(
    "notes/retitle",
    methods=["POST"],
    login_required=True,
    transactions=[SQLAlchemyTransactions(SessionLocal)],
)
def retitle(request: AjaxRequest, old: str, new: str) -> dict[str, int]:
    # In an atomic batch: the batch's session, committed (or rolled back)
    # with every other item. Alone: a session of its own, committed here.
    with session_for(request, SessionLocal) as session:
        mine = select(Note).where(Note.owner == request.user.username, Note.title == old)
        notes = session.scalars(mine).all()
        for note in notes:
            note.title = new
        return {"renamed": len(notes)}


# --8<-- [end:plain]
