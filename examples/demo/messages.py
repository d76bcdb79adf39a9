"""The activity feed and the chat: lines stored in the database, then published live.

Each line is a row before it is an event, so a page that reconnects after
the live log was lost (a server restart on the memory broker: the page gets
``ajaxkit-reset``) reloads ``<mount>/<channel>/recent`` and misses nothing.
Rows carry their id in the event, so a page that gets a line both ways
shows it once.

- ``POST <mount>/activity`` ``{"text"}``; ``GET <mount>/activity/recent``.
- ``POST <mount>/chat`` ``{"author", "text"}``; ``GET <mount>/chat/recent``.

Posts are retried by the browser client under an ``Idempotency-Key``; it is
required here, so a retried post can never store a line twice.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import DateTime, Engine, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ajaxkit import Ajax
from ajaxkit.live import Live
from examples.demo.database import Base

__all__ = [
    "ACTIVITY_TOPIC",
    "CHAT_TOPIC",
    "MAX_AUTHOR_LENGTH",
    "MAX_TEXT_LENGTH",
    "RECENT",
    "Message",
    "register_messages",
]

#: Where activity lines are published.
ACTIVITY_TOPIC = "activity"
#: Where chat messages are published.
CHAT_TOPIC = "chat"
#: Longest line or message.
MAX_TEXT_LENGTH = 140
#: Longest chat name.
MAX_AUTHOR_LENGTH = 30
#: Lines a page loads on opening (and after a reset).
RECENT = 50

#: No control characters: a line is one line of text, and PostgreSQL refuses
#: a NUL in text (stored, it would be a 500 instead of the sender's 422).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_Line = StringConstraints(
    strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH, pattern=_PRINTABLE
)
_Name = StringConstraints(
    strip_whitespace=True, min_length=1, max_length=MAX_AUTHOR_LENGTH, pattern=_PRINTABLE
)
Text = Annotated[str, _Line]
Author = Annotated[str, _Name]


class Message(Base):
    """One activity line (``author`` empty) or chat message."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    author: Mapped[str] = mapped_column(String(MAX_AUTHOR_LENGTH), default="")
    text: Mapped[str] = mapped_column(String(MAX_TEXT_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _as_dict(message: Message) -> dict[str, Any]:
    at = message.at if message.at.tzinfo else message.at.replace(tzinfo=timezone.utc)
    line = {"id": message.id, "text": message.text, "at": at.isoformat(timespec="seconds")}
    return {**line, "author": message.author} if message.channel == CHAT_TOPIC else line


def register_messages(api: Ajax, live: Live, engine: Engine) -> None:
    """Serve the activity feed and the chat, stored in ``engine``'s database."""

    def store(channel: str, text: str, author: str = "") -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        with Session(engine) as session, session.begin():
            message = Message(channel=channel, author=author, text=text, at=now)
            session.add(message)
            session.flush()
            line = _as_dict(message)
        # Published after the commit: an event always names a stored row.
        return {**line, "cursor": live.publish(channel, line)}

    def recent(channel: str) -> list[dict[str, Any]]:
        newest = (
            select(Message)
            .where(Message.channel == channel)
            .order_by(Message.id.desc())
            .limit(RECENT)
        )
        with Session(engine) as session:
            return [_as_dict(m) for m in reversed(session.scalars(newest).all())]

    live.topic(ACTIVITY_TOPIC)
    live.topic(CHAT_TOPIC)

    @api.endpoint("activity", methods=["POST"], idempotency="required")
    def post_activity(text: Text) -> tuple[dict[str, Any], int]:
        """Store one line and show it on every open page."""
        return store(ACTIVITY_TOPIC, text), 201

    @api.endpoint("activity/recent", methods=["GET"])
    def recent_activity() -> list[dict[str, Any]]:
        """The latest lines, oldest first."""
        return recent(ACTIVITY_TOPIC)

    @api.endpoint("chat", methods=["POST"], idempotency="required")
    def say(author: Author, text: Text) -> tuple[dict[str, Any], int]:
        """Store one chat message and show it on every open page."""
        return store(CHAT_TOPIC, text, author), 201

    @api.endpoint("chat/recent", methods=["GET"])
    def recent_chat() -> list[dict[str, Any]]:
        """The latest messages, oldest first."""
        return recent(CHAT_TOPIC)
