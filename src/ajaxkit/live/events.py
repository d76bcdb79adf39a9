"""Events, positions and cursors: the identity of everything published.

Every broker keeps ONE ordered log of events.  An event's position in that
log is written ``"<n>"`` (memory) or ``"<ms>-<seq>"`` (a Redis stream id); both
read as a pair of integers, so positions from either backend compare the
same way.  A *cursor* names a position in one particular log:
``"<epoch>:<position>"``.  The epoch changes whenever the log starts afresh
(a process restart for ``memory://``, a flushed Redis), so a cursor from an
old log is recognised and answered with a reset instead of being resumed
into the wrong history.

Events are framed as Server-Sent Events once, when they are published, and
the same bytes are written to every subscriber.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

__all__ = [
    "OPEN_EVENT",
    "RESET_EVENT",
    "TOPIC_LENGTH",
    "Cursor",
    "Event",
    "Position",
    "client_cursor",
    "comment_frame",
    "cursor_frame",
    "data_lines",
    "format_position",
    "open_frame",
    "parse_cursor",
    "parse_position",
    "reset_frame",
    "reset_message",
    "shown",
    "validate_topic",
]

#: ``(major, minor)``: a log position in a form both backends share.
Position = tuple[int, int]

#: The SSE event name of the one frame sent when a cursor cannot be resumed.
RESET_EVENT = "ajaxkit-reset"
#: The SSE event name of a stream's first frame: where it resumes, and the head.
OPEN_EVENT = "ajaxkit-open"
# Event names of the stream's own frames: a topic of one of these names
# would have its events taken for them.
_OWN_EVENTS = (RESET_EVENT, OPEN_EVENT)

_POSITION = re.compile(r"\A([0-9]{1,20})(?:-([0-9]{1,20}))?\Z")
_EPOCH = re.compile(r"\A[0-9a-zA-Z_]{1,64}\Z")
# What ends a line of an SSE stream.
_LINE_END = re.compile(rb"\r\n|\r|\n")
#: The most characters a topic may have.
TOPIC_LENGTH = 200
# Topics travel in SSE `event:` lines and URLs: no control characters,
# no leading/trailing slash, a sane length.
_TOPIC = re.compile(rf"\A[^\x00-\x20\x7f/][^\x00-\x1f\x7f]{{0,{TOPIC_LENGTH - 1}}}\Z")
# How much of a refused topic its error shows: a whole topic just over the
# limit, never all of a megabyte a client sent.
_SHOWN = TOPIC_LENGTH + 40


def parse_position(text: str) -> Position | None:
    """``"17"`` → ``(17, 0)``, ``"1700-3"`` → ``(1700, 3)``; ``None`` if malformed."""
    match = _POSITION.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def format_position(position: Position, *, stream_ids: bool) -> str:
    """The text form of ``position``: ``"ms-seq"`` for stream ids, else ``"n"``."""
    return f"{position[0]}-{position[1]}" if stream_ids else str(position[0])


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in one epoch of a log; ``str(cursor)`` is its wire form."""

    epoch: str
    position: Position
    text: str

    def __str__(self) -> str:
        return self.text


def parse_cursor(text: str | None) -> Cursor | None:
    """A cursor from its wire form; ``None`` for no cursor or a malformed one.

    A malformed cursor is treated like one from another epoch (the caller
    answers it with a reset), since a client cannot do better than start
    over from the current position.
    """
    if not text or len(text) > 128:
        return None
    epoch, sep, rest = text.partition(":")
    position = parse_position(rest) if sep else None
    if position is None or not _EPOCH.match(epoch):
        return None
    return Cursor(epoch, position, text)


def client_cursor(text: str | None) -> Cursor | None:
    """The cursor a client sent: ``None`` when it sent none.

    A malformed one becomes a cursor of no epoch, which every broker
    answers with a reset: the client cannot do better than start over.
    """
    if not text:
        return None
    return parse_cursor(text) or Cursor("", (0, 0), text)


def validate_topic(topic: str) -> str:
    """``topic`` unchanged, or ``ValueError`` if it cannot travel in a frame or a URL.

    Nor may it be :data:`RESET_EVENT` or :data:`OPEN_EVENT`: its frames
    would carry the event type of the stream's own, and every client would
    take them for resets, or for a stream opening.
    """
    if not isinstance(topic, str) or not _TOPIC.match(topic) or topic.endswith("/"):
        raise ValueError(
            f"Invalid topic {shown(topic, _SHOWN)}: 1-{TOPIC_LENGTH} printable characters, "
            "no control characters, not starting or ending with '/'."
        )
    if topic in _OWN_EVENTS:
        raise ValueError(
            f"Invalid topic {topic!r}: the name of the stream's own event "
            f"(one of {', '.join(_OWN_EVENTS)}) is no topic."
        )
    return topic


def shown(value: object, limit: int) -> str:
    """``repr(value)`` for a message, cut after ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


@dataclass(frozen=True, slots=True)
class Event:
    """One published event.

    Attributes:
        topic: where it was published (``"chat/lobby"``).
        position: its place in the log.
        cursor: ``"<epoch>:<position>"``, the SSE ``id``.
        data: the JSON-encoded payload.
        frame: the whole SSE frame, built once at publish time.
        message: the WebSocket text message, built once too.
    """

    topic: str
    position: Position
    cursor: str
    data: bytes
    frame: bytes
    message: bytes

    @classmethod
    def build(cls, topic: str, position: Position, cursor: str, data: bytes) -> Event:
        """An event with its SSE frame and its WebSocket message."""
        encoded_cursor, encoded_topic = cursor.encode(), topic.encode()
        frame = b"id: %s\nevent: %s\n%s\n" % (encoded_cursor, encoded_topic, data_lines(data))
        message = b'{"type":"event","id":%s,"topic":%s,"data":%s}' % (
            orjson.dumps(cursor),
            orjson.dumps(topic),
            data,
        )
        return cls(topic, position, cursor, data, frame, message)


def data_lines(data: bytes) -> bytes:
    """``data`` as the ``data:`` lines of one SSE frame, whatever line breaks it holds.

    A client ends a line at CRLF, LF or CR alike, and a frame at an empty
    line, so an encoder that writes JSON over several lines (or with CRs)
    would split the frame.  Each line goes in a ``data:`` line of its own,
    which the client joins with LF: the same JSON, line breaks being mere
    whitespace there (the encoder escapes those inside strings).
    """
    if b"\n" not in data and b"\r" not in data:
        return b"data: %s\n" % data
    return b"".join(b"data: %s\n" % line for line in _LINE_END.split(data))


def reset_frame(cursor: str) -> bytes:
    """The frame telling a client its cursor cannot be resumed; it continues at ``cursor``."""
    return b'id: %s\nevent: %s\ndata: {"cursor":"%s"}\n\n' % (
        cursor.encode(),
        RESET_EVENT.encode(),
        cursor.encode(),
    )


def reset_message(cursor: str) -> bytes:
    """The WebSocket form of :func:`reset_frame`: the client continues at ``cursor``."""
    return b'{"type":"reset","cursor":%s}' % orjson.dumps(cursor)


def cursor_frame(cursor: str) -> bytes:
    """A frame that only moves the client's cursor (past events of other topics)."""
    return b"id: %s\n\n" % cursor.encode()


def open_frame(cursor: str, head: str, retry_ms: int) -> bytes:
    """The first frame of a stream: sets the client's cursor and reconnection delay.

    It is also an :data:`OPEN_EVENT` whose data names ``cursor`` (where the
    stream resumes) and ``head`` (the log's head as the server answered),
    since a page's script cannot read an ``id`` alone: EventSource
    dispatches no event for a frame without data.  Only listeners of that
    name hear it (``onmessage`` and topic listeners do not).
    """
    data = orjson.dumps({"cursor": cursor, "head": head})
    return b"id: %s\nretry: %d\nevent: %s\ndata: %s\n\n" % (
        cursor.encode(),
        retry_ms,
        OPEN_EVENT.encode(),
        data,
    )


def comment_frame(text: bytes = b"") -> bytes:
    """An SSE comment: ignored by clients, keeps proxies and dead-peer detection busy."""
    return b":" + text + b"\n\n"
