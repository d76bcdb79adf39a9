"""The broker contract, and what every broker does the same way.

A broker is one ordered, bounded log of events plus the subscriptions of
this process.  :class:`Broker` holds the logic that does not depend on where
the log lives: opening a subscription without a gap (register first, then
read the backlog), long-poll reads, revocation.  A backend supplies the log:
:meth:`Broker._append`, :meth:`Broker._aappend` and :meth:`Broker.since`.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import orjson

from ajaxkit.exceptions import ConfigurationError, ServiceUnavailable
from ajaxkit.live.events import Cursor, Event, Position, client_cursor, comment_frame
from ajaxkit.live.subscription import DEFAULT_BUFFER_BYTES, Fanout, Subscription, call_on

__all__ = ["REVOKE_TOPIC", "Backlog", "Broker", "Opened", "broker_reached", "check_window"]

log = logging.getLogger("ajaxkit.live")

#: The reserved topic that carries revocations to every process.
REVOKE_TOPIC = "_ajaxkit/revoke"


def check_window(owner: str, window: object) -> int:
    """``window`` itself, once it is known to be a whole number, 1 or more.

    Raises:
        ConfigurationError: naming ``owner`` (the broker class) and the value;
            a window of 0 would keep nothing to resume from.
    """
    # ``True`` is an int to Python but never a meant size.
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ConfigurationError(
            f"{owner} window={window!r} cannot work: the number of events kept "
            "for resuming must be a whole number, 1 or more."
        )
    return window


@contextlib.contextmanager
def broker_reached() -> Iterator[None]:
    """A failure of the broker (Redis down) as a 503 problem, logged with its cause.

    Not the 500 of a bug: the client retries later, and can tell one from
    the other.  Every transport answers it alike: SSE and long-poll with a
    503 ``service_unavailable`` problem, a WebSocket command with an error
    message of that code.
    """
    try:
        yield
    except Exception as exc:
        raise ServiceUnavailable(
            "The live updates broker cannot be reached; try again shortly."
        ) from exc


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the log holds after a cursor, for some topics.

    Attributes:
        events: the events after the cursor, in log order (maybe truncated).
        cursor: where the reader continues: the head of the log when it was
            read, or the last event returned when ``events`` was truncated.
        position: ``cursor``'s position.
        reset: the cursor could not be resumed (another epoch, malformed,
            or older than the retained window): ``events`` is empty and
            ``cursor`` is the head.
        more: ``events`` was truncated at the limit asked: more events of
            these topics follow ``cursor`` in the log.
    """

    events: list[Event]
    cursor: str
    position: Position
    reset: bool
    more: bool = False


@dataclass(frozen=True, slots=True)
class Opened:
    """A new subscription and the backlog the transport writes before live events."""

    subscription: Subscription
    backlog: Backlog


class Broker(abc.ABC):
    """One event log and this process's subscribers to it.

    Attributes:
        fanout: this process's subscriptions.
        window: how many events the log retains for resuming.
    """

    window: int

    def __init__(self) -> None:
        self.fanout = Fanout()

    # --- what a backend supplies ------------------------------------------------

    @abc.abstractmethod
    def _append(self, topic: str, data: bytes) -> str:
        """Append one event from sync code; its cursor."""

    @abc.abstractmethod
    async def _aappend(self, topic: str, data: bytes) -> str:
        """Append one event from async code; its cursor."""

    @abc.abstractmethod
    async def since(
        self, cursor: Cursor | None, topics: Collection[str], limit: int | None = None
    ) -> Backlog:
        """The events on ``topics`` after ``cursor`` (``None``: none, from the head)."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect or start readers; called before the first subscription."""

    async def aclose(self) -> None:
        """End every subscription of this process."""
        self.fanout.close_where(lambda _: True)

    # --- shared ----------------------------------------------------------------

    def publish(self, topic: str, data: bytes) -> str:
        """Append a JSON-encoded event from sync code; returns its cursor."""
        return self._append(topic, data)

    async def apublish(self, topic: str, data: bytes) -> str:
        """Append a JSON-encoded event from async code; returns its cursor."""
        return await self._aappend(topic, data)

    async def open(
        self,
        topics: frozenset[str],
        cursor: str | None,
        *,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        user_key: str | None = None,
        sse: bool = True,
        backlog_limit: int | None = None,
    ) -> Opened:
        """Subscribe to ``topics`` from ``cursor`` with no gap and no duplicate.

        The subscription is registered before the log is read, so an event
        published meanwhile is both in the backlog and held by the
        subscription, which drops what the backlog already covers.  With
        ``backlog_limit`` the backlog holds at most that many events (its
        cursor is then the last of them).  A resume that sends its whole
        backlog reads it a page at a time instead (:class:`~ajaxkit.live.feed.Feed`).
        """
        await self.start()
        subscription = self.subscribe(topics, buffer_bytes=buffer_bytes, user_key=user_key, sse=sse)
        backlog = await self.read(subscription, client_cursor(cursor), backlog_limit)
        subscription.release(backlog.position, backlog.cursor)
        return Opened(subscription, backlog)

    def subscribe(
        self,
        topics: frozenset[str],
        *,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        user_key: str | None = None,
        sse: bool = True,
    ) -> Subscription:
        """A subscription to ``topics``, registered now, holding live events until released."""
        subscription = Subscription(topics, limit=buffer_bytes, user_key=user_key, sse=sse)
        self.fanout.add(subscription)
        return subscription

    async def read(
        self, subscription: Subscription, cursor: Cursor | None, limit: int | None
    ) -> Backlog:
        """The log after ``cursor`` on ``subscription``'s topics (at most ``limit`` events).

        What the subscription held is dropped first: this read, or a later
        one, covers it.  So afterwards it holds exactly what arrived since
        this read began, which a release at the backlog's position hands
        over with no gap and no duplicate.  A failed read ends the
        subscription.
        """
        subscription.forget_held()
        try:
            return await self.since(cursor, subscription.topics, limit)
        except BaseException:
            self.close(subscription)
            raise

    def close(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription``."""
        subscription.closed = True
        self.fanout.remove(subscription)

    def revoke(self, user_key: str, topic: str | None = None) -> None:
        """Close ``user_key``'s subscriptions (to ``topic``, or all) on every process."""
        self.publish(REVOKE_TOPIC, orjson.dumps({"user": user_key, "topic": topic}))

    def dispatch(self, events: list[Event]) -> None:
        """Hand freshly logged events to this process: revocations act, the rest fan out."""
        for event in events:
            if event.topic == REVOKE_TOPIC:
                self._obey(event.data)
        self.fanout.deliver(events)

    def _obey(self, data: bytes) -> None:
        """Carry out a revocation order, or log and skip one that is malformed.

        Anything may have been published on the revocation topic
        (``publish`` takes any topic); raising here would fail the publish,
        or end the Redis reader and with it all delivery to this process.
        """
        try:
            order = orjson.loads(data)
            user, topic = order["user"], order.get("topic")
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            user, topic = None, None
        if not isinstance(user, str) or not isinstance(topic, (str, type(None))):
            log.warning("Ignored a malformed revocation on %s: %r", REVOKE_TOPIC, data[:200])
            return
        self.revoke_local(user, topic)

    def revoke_local(self, user_key: str, topic: str | None = None) -> int:
        """Close this process's subscriptions of ``user_key`` (to ``topic``, or all)."""
        return self.fanout.close_where(
            lambda s: s.user_key == user_key and (topic is None or topic in s.topics)
        )

    def heartbeat(self) -> None:
        """Queue a comment on every subscription that had nothing to send since the last call."""
        frame = comment_frame()
        for subscription in self.fanout.subscriptions():
            if not subscription.sse:
                continue  # WebSocket servers ping at the protocol level; long-polls write nothing
            if subscription.idle:
                call_on(subscription.loop, _beat, subscription, frame)
            else:
                subscription.idle = True


def _beat(subscription: Subscription, frame: bytes) -> None:
    subscription.push_frame(frame)
    subscription.idle = True
