"""One live connection's view of the log: a bounded buffer of frames.

A :class:`Subscription` is registered with its broker's :class:`Fanout`
*before* the backlog since the client's cursor is read, so an event
published in between is seen twice and never lost; the subscription holds
live events until it is released after the backlog, then drops whatever is
not past the last position it has delivered.  What it holds counts against
the same byte budget as what it queues.

Each subscription has a byte budget.  A consumer that falls behind by more
than that is not waited for: its buffer is dropped and the subscription
ends as *overflowed*, and the client resumes from the log with the cursor
of the last event it received.  So a slow client never holds up
``publish()`` or other subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from ajaxkit.core.errors import log_background_error
from ajaxkit.core.streams import resolver
from ajaxkit.live.events import Event, Position

__all__ = ["DEFAULT_BUFFER_BYTES", "Fanout", "Subscription", "call_on"]

#: Bytes of frames one connection may have waiting before it is cut off.
DEFAULT_BUFFER_BYTES = 256 * 1024

_LOGGER = "ajaxkit.live"


class Subscription:
    """Frames for one connection, filled by the broker and drained by the transport.

    Attributes:
        topics: the topics this connection receives.
        user_key: who subscribed, so that access can be revoked.
        overflowed: the buffer limit was hit; the transport must end.
        closed: the subscription was ended (revoked or broker closed).
    """

    __slots__ = (
        "_buffer",
        "_held",
        "_held_bytes",
        "_listener",
        "_loop",
        "_pending",
        "closed",
        "cursor",
        "idle",
        "last_position",
        "limit",
        "overflowed",
        "sse",
        "topics",
        "user_key",
    )

    def __init__(
        self,
        topics: frozenset[str],
        *,
        limit: int = DEFAULT_BUFFER_BYTES,
        user_key: str | None = None,
        sse: bool = True,
    ) -> None:
        self.topics = topics
        #: Queue SSE frames (``True``) or WebSocket messages, one per event.
        self.sse = sse
        self.limit = limit
        self.user_key = user_key
        self.last_position: Position = (-1, -1)
        #: The cursor of the last event queued (or of the head it started at).
        self.cursor = ""
        # Live events that arrive while the backlog is still being read are
        # held, so they are written after it, in log order.
        self._held: list[Event] | None = []
        self._held_bytes = 0
        self._buffer: deque[bytes] = deque()
        self._pending = 0
        self._loop = asyncio.get_running_loop()
        self._listener: Callable[[], None] | None = None
        self.overflowed = False
        self.closed = False
        #: No frame was queued since the last heartbeat tick.
        self.idle = True

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the transport drains this subscription on."""
        return self._loop

    def forget_held(self) -> None:
        """Drop the live events held so far: the log read about to begin covers them.

        Until released, a subscription only needs what arrives while the
        last read of the backlog is under way; dropping the rest before each
        read keeps a resume read in pages from holding every event published
        meanwhile.
        """
        if self._held is not None:
            self._held.clear()
            self._held_bytes = 0

    def release(self, after: Position, cursor: str = "") -> None:
        """Let live events through: those held meanwhile first, past ``after`` only.

        Called once, on the subscription's loop, after the backlog has been
        read up to ``after`` (the log's head when it was read).
        """
        held, self._held = self._held or [], None
        self._held_bytes = 0
        if after > self.last_position:
            self.last_position, self.cursor = after, cursor
        self.push_events(held)

    def push_event(self, event: Event) -> None:
        """Queue one event if it is past the last delivered position."""
        if self._held is not None:
            self._hold((event,))
        elif event.position > self.last_position:
            self.last_position, self.cursor = event.position, event.cursor
            self.push_frame(event.frame if self.sse else event.message)

    def push_events(self, events: Iterable[Event]) -> None:
        """Queue the events past the last delivered position (on the subscription's loop)."""
        if self._held is not None:
            self._hold(events)
            return
        for event in events:
            if event.position > self.last_position:
                self.last_position, self.cursor = event.position, event.cursor
                self.push_frame(event.frame if self.sse else event.message)

    def _hold(self, events: Iterable[Event]) -> None:
        """Keep live events until release; more than ``limit`` bytes of them overflows."""
        held = self._held
        assert held is not None
        for event in events:
            held.append(event)
            self._held_bytes += len(event.frame if self.sse else event.message)
        if self._held_bytes > self.limit and not self.closed:
            held.clear()
            self.overflowed = True
            self.close()

    def push_frame(self, frame: bytes) -> None:
        """Queue one frame, or overflow (on the subscription's loop)."""
        if self.closed:
            return
        self._pending += len(frame)
        if self._pending > self.limit:
            self.overflowed = True
            self._buffer.clear()
            self.close()
            return
        self._buffer.append(frame)
        self.idle = False
        self.wake()

    def close(self) -> None:
        """End the subscription; a waiting transport wakes up (on the subscription's loop)."""
        self.closed = True
        self.wake()

    def take(self) -> bytes:
        """Every queued frame, joined; ``b""`` when none."""
        return b"".join(self.take_each()) if self._buffer else b""

    def take_each(self) -> list[bytes]:
        """Every queued frame, one by one (WebSocket messages are sent apart)."""
        frames = list(self._buffer)
        self._buffer.clear()
        self._pending = 0
        return frames

    async def wait(self) -> None:
        """Until there is something to take, or the subscription ended."""
        if self._buffer or self.closed:
            return
        ready: asyncio.Future[None] = self._loop.create_future()
        self.listen(resolver(ready))
        try:
            await ready
        finally:
            self.listen(None)

    def listen(self, ready: Callable[[], None] | None) -> None:
        """Call ``ready()`` whenever frames are queued or the subscription ends."""
        self._listener = ready

    def wake(self) -> None:
        """Call the listener: something can be taken, or the subscription ended."""
        listener = self._listener
        if listener is None:
            return
        try:
            listener()
        except Exception as exc:
            # The fan-out wakes many subscriptions in one go: a transport's
            # failing callback must not cost the others their event, nor
            # fail the publish.  This one can no longer be woken: it ends.
            self._listener = None
            self.closed = True
            self._buffer.clear()
            log_background_error(_LOGGER, "a live subscription's listener", exc)


class Fanout:
    """The subscriptions of one process, indexed by topic.

    ``deliver`` may be called from any thread (a WSGI handler publishing into
    the memory broker, the Redis reader task): each subscription is only
    touched on its own event loop, one ``call_soon_threadsafe`` per loop and
    batch of events.
    """

    def __init__(self) -> None:
        self._by_topic: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def add(self, subscription: Subscription) -> None:
        """Start delivering to ``subscription``."""
        with self._lock:
            for topic in subscription.topics:
                self._by_topic.setdefault(topic, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription`` (idempotent)."""
        with self._lock:
            for topic in subscription.topics:
                subscribers = self._by_topic.get(topic)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._by_topic[topic]

    def __len__(self) -> int:
        with self._lock:
            return len({id(s) for subs in self._by_topic.values() for s in subs})

    def subscriptions(self) -> list[Subscription]:
        """Every live subscription, once each."""
        with self._lock:
            unique = {id(s): s for subs in self._by_topic.values() for s in subs}
        return list(unique.values())

    def deliver(self, events: list[Event]) -> None:
        """Hand ``events`` (in log order) to every subscriber of their topics."""
        if len(events) == 1:
            self._deliver_one(events[0])
            return
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Subscription, list[Event]]]] = {}
        with self._lock:
            targets: dict[int, tuple[Subscription, list[Event]]] = {}
            for event in events:
                for subscription in self._by_topic.get(event.topic, ()):
                    entry = targets.get(id(subscription))
                    if entry is None:
                        entry = targets[id(subscription)] = (subscription, [])
                    entry[1].append(event)
        for subscription, mine in targets.values():
            by_loop.setdefault(subscription.loop, []).append((subscription, mine))
        for loop, batch in by_loop.items():
            call_on(loop, _push_all, batch)

    def _deliver_one(self, event: Event) -> None:
        # The common case (memory:// delivers each event as it is published):
        # no per-subscriber bookkeeping, one group per event loop.
        with self._lock:
            subscribers = self._by_topic.get(event.topic)
            if not subscribers:
                return
            subscribers = set(subscribers)
        groups: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for subscription in subscribers:
            group = groups.get(subscription._loop)
            if group is None:
                groups[subscription._loop] = [subscription]
            else:
                group.append(subscription)
        for loop, group in groups.items():
            call_on(loop, _push_one, group, event)

    def close_where(self, predicate: Any) -> int:
        """Close the subscriptions ``predicate(subscription)`` picks; how many."""
        chosen = [s for s in self.subscriptions() if predicate(s)]
        for subscription in chosen:
            call_on(subscription.loop, subscription.close)
        return len(chosen)


def _push_one(group: list[Subscription], event: Event) -> None:
    for subscription in group:
        subscription.push_event(event)


def _push_all(batch: list[tuple[Subscription, list[Event]]]) -> None:
    for subscription, events in batch:
        subscription.push_events(events)


def call_on(loop: asyncio.AbstractEventLoop, func: Any, *args: Any) -> None:
    """Run ``func(*args)`` on ``loop``: now if it is the running loop, else soon."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        func(*args)
        return
    # A closed loop's connections are gone with it: nothing to deliver to.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(func, *args)
