"""Live updates over a WebSocket: ``<mount>/_live/ws`` (ASGI servers only).

The client sends JSON messages, the server answers with JSON messages:

- ``{"type": "subscribe", "topics": [...], "cursor": c}`` →
  ``{"type": "subscribed", "topics": [...], "cursor": c}``, then each event
  as ``{"type": "event", "id", "topic", "data"}`` (preceded by
  ``{"type": "reset", "cursor"}`` when ``c`` cannot be resumed);
- ``{"type": "unsubscribe", "topics": [...]}`` →
  ``{"type": "unsubscribed", "topics": [...], "cursor"}``;
- ``{"type": "ping"}`` → ``{"type": "pong"}``;
- anything else, or a refused topic → ``{"type": "error", "code",
  "detail"[, "topics"]}``; the connection stays open.  So it does when the
  broker cannot be reached (``service_unavailable``, logged once as SSE's
  and long-poll's 503 are, its ``instance`` the logged error id as theirs
  is: ``"urn:uuid:…"``): the command then changes nothing, and may be
  sent again.

A command naming more than ``max_topics`` topics is refused before any of
them is read, and the error does not repeat them; nor does an error repeat
a topic longer than any topic may be, and its ``detail`` quotes a client's
value (an unknown type, a malformed topic) cut short.  The commands of one
connection are limited by ``LiveSettings.message_rate``: the one over it
closes the socket with 4429 ``rate_limited`` (rule L13); a client that
falls more than ``buffer_bytes`` behind is closed with 4429 ``too_slow``
(rule L14), and resubscribes at once with its cursor.

``cursor`` is the same as an SSE event id, so a page can move between
transports.  The first ``subscribe`` resumes every topic from the client's
cursor.  A later one keeps the topics the connection has where they are
(adding a topic never replays the others) and starts the topics it adds
from its own ``cursor`` when it carries one, else from now: the head of the
log when the command is read, never the history of a topic the client did
not listen to.  A connection that unsubscribed every topic resumes from the
cursor of its next ``subscribe`` (the one ``unsubscribed`` answered).
Every topic is authorized when it is subscribed, exactly as for SSE; the
protocol-level ping/pong is the server's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from asgiref.sync import sync_to_async

from ajaxkit.core.asgi import start_eagerly
from ajaxkit.core.errors import log_server_error
from ajaxkit.core.websocket import WebSocket
from ajaxkit.exceptions import AjaxError, ServiceUnavailable, WebSocketDisconnect
from ajaxkit.live.broker import Broker, broker_reached
from ajaxkit.live.events import TOPIC_LENGTH, Position, parse_cursor, shown, validate_topic
from ajaxkit.live.feed import Feed

if TYPE_CHECKING:
    from ajaxkit.live.hub import Live

__all__ = ["CLOSE_ENDED", "CLOSE_TOO_SLOW", "ENDED_REASON", "TOO_SLOW_REASON", "LiveSocket"]

#: Closed because the client fell more than ``buffer_bytes`` behind: resubscribe with its cursor.
#: The code is shared with ``rate_limited`` (L13), kept for clients that
#: reconnect on it; the reason tells them apart (L14).
CLOSE_TOO_SLOW = 4429
#: The close reason of :data:`CLOSE_TOO_SLOW`: reconnect at once, no need to slow down.
TOO_SLOW_REASON = "too_slow"
#: Closed by the server (access revoked, shutting down): reconnect and resubscribe.
CLOSE_ENDED = 4403
#: The close reason of :data:`CLOSE_ENDED`: a handshake refused with 403 closes
#: with the same code and the problem's code (``forbidden``) as its reason.
ENDED_REASON = "ended"


class LiveSocket:
    """One WebSocket connection's subscriptions."""

    def __init__(self, hub: Live, ws: WebSocket, who: str | None) -> None:
        self._hub = hub
        self._ws = ws
        self._who = who
        self._topics: frozenset[str] = frozenset()
        self._feed: Feed | None = None
        self._resumed = False
        self._writer: Any = None

    async def run(self) -> None:
        """Serve the connection until the client leaves."""
        try:
            async for raw in self._ws:
                await self._handle(raw)
        finally:
            self._drop()

    async def _handle(self, raw: str | bytes) -> None:
        try:
            message = orjson.loads(raw)
            kind = message.get("type") if isinstance(message, dict) else None
        except orjson.JSONDecodeError:
            await self._error("malformed_json", "A message is a JSON object.")
            return
        if kind == "ping":
            await self._reply({"type": "pong"})
        elif kind in ("subscribe", "unsubscribe"):
            await self._change(kind, message)
        else:
            await self._error("unknown_message", f"Unknown message type {shown(kind, 40)}.")

    async def _change(self, kind: str, message: dict[str, Any]) -> None:
        topics = message.get("topics")
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            await self._error("validation_failed", "topics must be a list of strings.")
            return
        cursor = message.get("cursor")
        if kind == "subscribe" and not isinstance(cursor, (str, type(None))):
            # Dropped, it would start at the head and skip the client's events unsaid.
            await self._error("validation_failed", "cursor must be an event id (a string) or null.")
            return
        asked = frozenset(topics)
        try:
            # Before any topic is read, and not sent back: a command naming
            # thousands would otherwise cost that much work and that long a reply.
            self._hub.check_topic_count(asked)
        except AjaxError as refused:
            await self._error(refused.code, str(refused.detail))
            return
        if kind == "unsubscribe":
            await self._move(self._topics - asked, None, "unsubscribed", asked, asked)
            return
        wanted = self._topics | asked
        try:
            # As malformed over the socket as in a URL (L6): never subscribed.
            for topic in asked:
                validate_topic(topic)
        except ValueError as exc:
            await self._error("validation_failed", str(exc), _echoed(asked))
            return
        try:
            self._hub.check_topic_count(wanted)
            await sync_to_async(self._hub.authorize_topics)(self._ws.request, asked - self._topics)
        except AjaxError as refused:
            await self._error(refused.code, str(refused.detail), sorted(asked))
            return
        # The first subscribe resumes every topic from the client's cursor;
        # a later one keeps where the connection is and starts the topics it
        # adds from its cursor, or from now.
        if self._resumed:
            resume, added = None, _Added(asked - self._topics, cursor or None)
        else:
            resume, added = cursor, None
        if await self._move(wanted, resume, "subscribed", wanted, asked, added=added):
            self._resumed = True

    async def _move(
        self,
        topics: frozenset[str],
        cursor: str | None,
        reply: str,
        named: frozenset[str],
        asked: frozenset[str],
        *,
        added: _Added | None = None,
    ) -> bool:
        """:meth:`_reopen`; a broker that cannot be reached is answered as HTTP answers it.

        Not a 1011 close, the answer of a bug: SSE and long-poll answer a
        503 ``service_unavailable``, so the command gets an error of that
        code (logged once, as theirs), and the socket stays for the client
        to send it again.  Returns whether the command was carried out.
        """
        try:
            await self._reopen(topics, cursor, reply, named, added=added)
        except ServiceUnavailable as down:
            # Under the endpoint's name, as the session's own errors are (W4).
            where = self._hub._socket.__qualname__
            error_id = str(uuid.uuid4())
            log_server_error(self._hub.api.settings, self._ws.request, where, down, error_id)
            # The id the log record has, named as an HTTP problem names it
            # (its ``instance``), so what the client saw can be looked up.
            instance = f"urn:uuid:{error_id}"
            await self._error(down.code, str(down.detail), _echoed(asked), instance)
            return False
        return True

    async def _reopen(
        self,
        topics: frozenset[str],
        cursor: str | None,
        reply: str,
        named: frozenset[str],
        *,
        added: _Added | None = None,
    ) -> None:
        """Move to ``topics`` from this connection's cursor (or the client's ``cursor``).

        What the old subscription had queued is sent first, so the cursor it
        leaves behind is exactly the last event the client got.  ``added``:
        topics new to the connection, which start elsewhere.
        """
        await self._send_queued()
        # A connection holding no topic has no place of its own: the topics a
        # subscribe adds then start from its cursor (an "unsubscribed" answer's).
        start = cursor or self._cursor() or (added.cursor if added else None)
        feed = await self._open(topics, start, added) if topics else None
        self._drop()
        self._topics = topics
        self._feed = feed
        if feed is None:
            await self._reply({"type": reply, "topics": sorted(named), "cursor": start or ""})
            return
        if feed.first.reset:
            await self._reply({"type": "reset", "cursor": feed.first.cursor})
        begun = start if start and not feed.first.reset else feed.first.cursor
        await self._reply({"type": reply, "topics": sorted(named), "cursor": begun})
        # The backlog, a page at a time, then live events: all by the writer.
        feed.listen(self._ready)
        self._ready()

    async def _open(
        self, topics: frozenset[str], start: str | None, added: _Added | None = None
    ) -> Feed:
        """A feed of ``topics`` from ``start``, opened before the current one is dropped.

        So a broker that cannot be reached leaves the connection as it was:
        the current feed goes on.  Once the new one is open, what the
        current one queued meanwhile is dropped with it: the new one read
        it, from the same cursor.
        """
        hub = self._hub
        try:
            with broker_reached():
                floors: dict[str, Position] = {}
                if added is not None and added.topics and start:
                    start, floors = await added.starts(hub.broker, topics, start)
                return await Feed.open(
                    hub.broker,
                    topics,
                    start,
                    page=hub.settings.backlog_page,
                    buffer_bytes=hub.settings.buffer_bytes,
                    user_key=self._who,
                    sse=False,
                    floors=floors,
                )
        except ServiceUnavailable:
            if self._feed is not None:
                self._feed.listen(self._ready)
                self._ready()
            raise

    async def _send_queued(self) -> None:
        """Stop the eager writer and send, here, whatever is still queued."""
        await self._quiet()
        feed = self._feed
        if feed is None:
            return
        feed.listen(None)
        while frames := feed.take(self._hub.settings.buffer_bytes):
            for frame in frames:
                await self._ws.send(frame.decode())

    def _ready(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = start_eagerly(self._flush())

    async def _flush(self) -> None:
        feed = self._feed
        if feed is None:
            return
        try:
            while frames := feed.take(self._hub.settings.buffer_bytes):
                for frame in frames:
                    await self._ws.send(frame.decode())
            if feed.closed:  # too slow, or revoked: the client reconnects
                await self._close_ended(feed)
        except WebSocketDisconnect:
            self._drop()

    async def _close_ended(self, feed: Feed) -> None:
        if feed.overflowed:
            await self._ws.close(CLOSE_TOO_SLOW, TOO_SLOW_REASON)
        else:
            await self._ws.close(CLOSE_ENDED, ENDED_REASON)

    def _cursor(self) -> str:
        return self._feed.cursor if self._feed is not None else ""

    def _drop(self) -> None:
        if self._feed is not None:
            self._feed.listen(None)
            self._feed.close()
            self._feed = None

    async def _quiet(self) -> None:
        """Let a write in flight finish, so messages never overlap."""
        writer = self._writer
        if writer is not None and not writer.done():
            await writer

    async def _reply(self, message: dict[str, Any]) -> None:
        await self._quiet()
        await self._ws.send(orjson.dumps(message).decode())

    async def _error(
        self, code: str, detail: str, topics: list[str] | None = None, instance: str | None = None
    ) -> None:
        error: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if topics is not None:
            error["topics"] = topics
        if instance is not None:
            error["instance"] = instance
        await self._reply(error)


@dataclass(frozen=True, slots=True)
class _Added:
    """Topics a later ``subscribe`` adds, and the cursor it gave for them (``None``: from now)."""

    topics: frozenset[str]
    cursor: str | None

    async def starts(
        self, broker: Broker, topics: frozenset[str], kept: str
    ) -> tuple[str, dict[str, Position]]:
        """Where a feed of ``topics`` starts, and the positions each topic starts after.

        The kept topics go on from ``kept``, the connection's cursor.  The
        added ones start at the head now, or at their own cursor: the feed
        then starts at the earlier of the two, and the topics starting later
        skip what comes before their start.  A cursor of another log (or
        malformed) is resumed as it is, and answered with a reset.
        """
        here = parse_cursor(kept)
        now = self.cursor or (await broker.since(None, ())).cursor
        theirs = parse_cursor(now)
        if here is None or theirs is None or theirs.epoch != here.epoch:
            return self.cursor or kept, {}
        if theirs.position < here.position:
            return theirs.text, dict.fromkeys(topics - self.topics, here.position)
        return kept, dict.fromkeys(self.topics, theirs.position)


def _echoed(topics: frozenset[str]) -> list[str] | None:
    """The refused ``topics`` to send back, or ``None`` when one is longer than any topic.

    Sent back whole or not at all, so a client can match them with what it
    asked; past the longest topic they can be no topic it keeps, and a
    command of a megabyte would be answered with as much.
    """
    if any(len(topic) > TOPIC_LENGTH for topic in topics):
        return None
    return sorted(topics)
