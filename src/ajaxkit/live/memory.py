"""``memory://``: the log as a ring buffer in this process.

The same cursor semantics as Redis (one counter, an epoch per process
start), so moving to ``redis://`` changes nothing a client sees.  Events
published by this process reach only this process's subscribers: under a
multi-process server, use ``redis://``.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections import deque
from collections.abc import Collection, Iterator

from ajaxkit.live.broker import Backlog, Broker, check_window
from ajaxkit.live.events import Cursor, Event, format_position, validate_topic

__all__ = ["DEFAULT_WINDOW", "MemoryBroker"]

log = logging.getLogger("ajaxkit.live")

#: Events retained for resuming.
DEFAULT_WINDOW = 10_000


class MemoryBroker(Broker):
    """A bounded in-process log.

    Args:
        window: how many of the latest events are kept for resuming.
        epoch: this log's epoch (random by default, so a restarted process
            never resumes an old cursor).
    """

    def __init__(self, window: int = DEFAULT_WINDOW, *, epoch: str | None = None) -> None:
        super().__init__()
        self.window = check_window("MemoryBroker", window)
        self.epoch = epoch or secrets.token_hex(4)
        self._log: deque[Event] = deque(maxlen=window)
        self._head = 0
        self._lock = threading.Lock()
        self._warned = False

    def _append(self, topic: str, data: bytes) -> str:
        validate_topic(topic)
        with self._lock:
            self._head += 1
            position = (self._head, 0)
            cursor = f"{self.epoch}:{self._head}"
            event = Event.build(topic, position, cursor, data)
            self._log.append(event)
            # Delivered under the lock: subscribers see events in log order.
            self.dispatch([event])
        return cursor

    def _note_foreign(self, cursor: Cursor) -> None:
        """Warn once when a client brings a cursor of another in-memory log.

        After a restart that happens once per client; when it keeps
        happening, several server processes each keep a log of their own and
        a client's reconnect lands on another one, which loses events.
        """
        if self._warned or not cursor.epoch or cursor.epoch == self.epoch:
            return
        self._warned = True
        log.warning(
            "A client resumed with a cursor of another memory:// log (epoch %s; this "
            "process's is %s). After a restart that is expected once per client; if "
            "this server runs several processes, each has its own log and clients "
            "lose events: use a redis:// broker to share one.",
            cursor.epoch,
            self.epoch,
        )

    async def _aappend(self, topic: str, data: bytes) -> str:
        return self._append(topic, data)

    async def since(
        self, cursor: Cursor | None, topics: Collection[str], limit: int | None = None
    ) -> Backlog:
        with self._lock:
            head = (self._head, 0)
            head_cursor = f"{self.epoch}:{format_position(head, stream_ids=False)}"
            if cursor is None:
                return Backlog([], head_cursor, head, reset=False)
            oldest = self._log[0].position[0] if self._log else self._head + 1
            start = cursor.position[0]
            resumable = cursor.epoch == self.epoch and not cursor.position[1]
            if not (resumable and oldest - 1 <= start <= self._head):
                self._note_foreign(cursor)
                return Backlog([], head_cursor, head, reset=True)
            wanted = set(topics)
            matching = (e for e in self._after(start) if e.topic in wanted)
            # One more than ``limit`` says whether the answer is truncated.
            events = list(itertools.islice(matching, None if limit is None else limit + 1))
        if limit is not None and len(events) > limit:
            last = events[limit - 1]
            return Backlog(events[:limit], last.cursor, last.position, reset=False, more=True)
        return Backlog(events, head_cursor, head, reset=False)

    def _after(self, start: int) -> Iterator[Event]:
        """The logged events after position ``start``, oldest first (under the lock).

        Positions are consecutive, so those are the log's last ``head -
        start``.  A deque is walked from one end: when they are fewer than
        the events before them (a reconnect resumes near the head), they are
        read from the newest end, never walking the events before the
        cursor; otherwise from the oldest, so a limited resume stops early.
        """
        count = self._head - start
        skip = len(self._log) - count
        if count < skip:
            tail = list(itertools.islice(reversed(self._log), count))
            return reversed(tail)
        return itertools.islice(self._log, skip, None)
