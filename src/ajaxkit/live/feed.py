"""What one SSE or WebSocket connection sends: its backlog a page at a time, then live events.

A resume from an old cursor may have up to the whole retained window to
send (10,000 events by default).  Read at once, every resuming connection
would hold all of it; after a deploy, every client reconnects at once.  A
:class:`Feed` asks the broker for at most ``page`` events, hands them to the
transport, and reads the next page (from the last event's cursor) only once
the transport has taken them all, so the server's flow control paces the
reads too.  Once a read reaches the head of the log the subscription is
released there and live events follow.

No gap, no duplicate across the hand-over: the subscription is registered
before the first read, and what it holds is dropped before each read (the
log has it; see :meth:`~ajaxkit.live.broker.Broker.read`), so when a read
reaches the head it holds exactly the events that came after.  If the log
was trimmed past the next page meanwhile, that page is a reset: the client
is told, then continues from the head, never past a silent gap.

Both transports drive a feed the same way: a synchronous :meth:`Feed.take`
(an SSE stream's push source must be), which starts the next read when the
page is all taken, and a listener called when the read is in.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping

from ajaxkit.core.errors import log_background_error
from ajaxkit.live.broker import Backlog, Broker
from ajaxkit.live.events import (
    Cursor,
    Position,
    client_cursor,
    cursor_frame,
    reset_frame,
    reset_message,
)
from ajaxkit.live.subscription import DEFAULT_BUFFER_BYTES, Subscription

__all__ = ["DEFAULT_PAGE", "Feed"]

log = logging.getLogger("ajaxkit.live")

#: Backlog events one resume reads (and holds) at once.
DEFAULT_PAGE = 200


class Feed:
    """One connection's events: its backlog a page at a time, then its live events.

    Made by :meth:`open`.  Every method runs on the connection's event loop.

    Attributes:
        first: the first page read (``first.reset``: the client's cursor
            could not be resumed; the transport says so first).
    """

    __slots__ = (
        "_at",
        "_broker",
        "_end",
        "_floors",
        "_next",
        "_page",
        "_queue",
        "_reading",
        "_subscription",
        "first",
    )

    def __init__(self, broker: Broker, subscription: Subscription, page: int, start: str) -> None:
        self._broker = broker
        self._subscription = subscription
        self._page = page
        # Frames not taken yet, each with the client's cursor once it has it.
        self._queue: deque[tuple[bytes, str]] = deque()
        self._at = start  # the cursor after the last frame taken
        self._end = start  # the cursor after the last page read
        self._next: Cursor | None = None  # where the next page starts; None: caught up
        self._reading: asyncio.Task[None] | None = None
        # Per topic, the position up to which the client wants none of its events.
        self._floors: Mapping[str, Position] = {}
        self.first = Backlog([], start, (0, 0), reset=False)

    @classmethod
    async def open(
        cls,
        broker: Broker,
        topics: frozenset[str],
        cursor: str | None,
        *,
        page: int = DEFAULT_PAGE,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        user_key: str | None = None,
        sse: bool = True,
        floors: Mapping[str, Position] | None = None,
    ) -> Feed:
        """Subscribe to ``topics`` and read the first page after ``cursor``.

        Args:
            page: the most backlog events read (and held) at once.
            buffer_bytes: live events queued (or held) before the client
                is cut off as too slow.
            sse: queue SSE frames (``True``) or WebSocket messages.
            floors: per topic, a position: the backlog's events of that
                topic up to it are not sent (a topic added to a connection
                starts later than the topics it had).
        """
        await broker.start()
        subscription = broker.subscribe(
            topics, buffer_bytes=buffer_bytes, user_key=user_key, sse=sse
        )
        feed = cls(broker, subscription, page, cursor or "")
        feed._floors = floors or {}
        feed.first = await broker.read(subscription, client_cursor(cursor), page)
        # The transport tells of a first reset itself, before anything else.
        feed._add(feed.first, told=feed.first.cursor, reset=False)
        return feed

    @property
    def closed(self) -> bool:
        """The subscription ended (too slow, revoked, broker closed): nothing more comes."""
        return self._subscription.closed

    @property
    def overflowed(self) -> bool:
        """It ended because the client fell more than ``buffer_bytes`` behind."""
        return self._subscription.overflowed

    @property
    def cursor(self) -> str:
        """The client's cursor once it has every frame taken so far."""
        if self._queue:
            return self._at
        if self._next is not None:
            return self._end
        return self._subscription.cursor

    def take(self, budget: int) -> list[bytes]:
        """Frames ready now: backlog frames up to ``budget`` bytes (at least one), else live ones.

        Once a page is all taken, the next one is read meanwhile (``[]``
        until it is in; the listener is called then).
        """
        if self._queue:
            return self._take_queued(budget)
        if self._next is not None:
            self._read_next()
            return []
        return self._subscription.take_each()

    def listen(self, ready: Callable[[], None] | None) -> None:
        """Call ``ready()`` whenever frames can be taken or the feed ends (``None``: stop)."""
        self._subscription.listen(ready)

    def close(self) -> None:
        """Stop reading and delivering; called once the connection is done with it."""
        if self._reading is not None:
            self._reading.cancel()
        self._queue.clear()
        self._broker.close(self._subscription)

    def _take_queued(self, budget: int) -> list[bytes]:
        frame, self._at = self._queue.popleft()
        frames, size = [frame], len(frame)
        while self._queue and size + len(self._queue[0][0]) <= budget:
            frame, self._at = self._queue.popleft()
            frames.append(frame)
            size += len(frame)
        return frames

    def _read_next(self) -> None:
        if self._reading is None and not self.closed:
            self._reading = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            backlog = await self._broker.read(self._subscription, self._next, self._page)
        except Exception as exc:
            # The client reconnects and resumes from the last event it got.
            log_background_error(log.name, "a live resume reading its next page", exc)
            self._subscription.close()
            return
        finally:
            self._reading = None
        self._add(backlog, told=self._end, reset=True)
        self._subscription.wake()

    def _add(self, backlog: Backlog, *, told: str, reset: bool) -> None:
        """Queue a page; hand over to live events if it reached the head of the log.

        ``told`` is the client's cursor before this page; ``reset`` says
        whether to queue a reset the page may carry.
        """
        sse = self._subscription.sse
        if backlog.reset and reset:
            frame = reset_frame(backlog.cursor) if sse else reset_message(backlog.cursor)
            self._queue.append((frame, backlog.cursor))
        events = [e for e in backlog.events if e.position > self._floors.get(e.topic, (-1, -1))]
        for event in events:
            self._queue.append((event.frame if sse else event.message, event.cursor))
        reached = events[-1].cursor if events else told
        if sse and not backlog.reset and reached != backlog.cursor:
            # Past events of other topics: a resume from here skips them.
            self._queue.append((cursor_frame(backlog.cursor), backlog.cursor))
        self._at, self._end = self._end, backlog.cursor
        if backlog.more:
            # A cursor the broker gave never reads as none (client_cursor
            # turns only "" into None): paging goes on from it.
            self._next = client_cursor(backlog.cursor)
        else:
            self._next = None
            self._subscription.release(backlog.position, backlog.cursor)
