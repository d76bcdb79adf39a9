"""SQLAlchemy twins of ``tests/django_project/catalog/models.py``."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Column, DateTime, Enum, ForeignKey, String, Table, Text, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


note_tags = Table(
    "sa_note_tags",
    Base.metadata,
    Column("note_id", ForeignKey("sa_note.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_slug", ForeignKey("sa_tag.slug", ondelete="CASCADE"), primary_key=True),
)


class Author(Base):
    __tablename__ = "sa_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    notes: Mapped[list[Note]] = relationship(back_populates="author")


class Category(Base):
    __tablename__ = "sa_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Tag(Base):
    __tablename__ = "sa_tag"
    slug: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(50))


class Note(Base):
    __tablename__ = "sa_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        Enum("draft", "published", native_enum=False, length=20, name="sa_note_status"),
        default="draft",
    )
    priority: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str] = mapped_column(String(150), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("sa_author.id", ondelete="SET NULL"))
    author: Mapped[Author | None] = relationship(back_populates="notes")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("sa_category.id", ondelete="SET NULL")
    )
    category: Mapped[Category | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=note_tags)
    comments: Mapped[list[Comment]] = relationship(back_populates="note", passive_deletes=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Comment(Base):
    __tablename__ = "sa_comment"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    note_id: Mapped[int] = mapped_column(ForeignKey("sa_note.id", ondelete="CASCADE"))
    note: Mapped[Note] = relationship(back_populates="comments")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("sa_author.id", ondelete="SET NULL"))
    author: Mapped[Author | None] = relationship()
    text: Mapped[str] = mapped_column(String(500))
