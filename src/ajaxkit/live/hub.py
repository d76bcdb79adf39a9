"""The live-updates hub of one :class:`~ajaxkit.Ajax` registry.

``Live(api)`` declares topics, publishes, and serves the transports under the
registry's own mount, so they share its admission (authentication,
permission) and its error format::

    live = Live(api, broker="redis://127.0.0.1:6379/0")   # default "memory://"
    live.topic("chat/{room}", authorize=lambda request, topic, action: ...)
    live.publish("chat/lobby", {"text": "hi"})            # await live.apublish(...)

Routes added to ``api``:

- ``GET _live/sse?topic=…&topic=…[&cursor=…]`` — Server-Sent Events;
  ``Last-Event-ID`` (or ``cursor``) resumes;
- ``GET _live/poll?topic=…[&cursor=…][&timeout=…]`` — long-poll.

Every connect and every resume runs ``authorize(request, topic, "subscribe")``
for each topic before anything is streamed: a refusal is an ordinary 403
(401 for an anonymous user) problem document.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson
from asgiref.sync import async_to_sync

from ajaxkit.core.auth import is_authenticated
from ajaxkit.core.callbacks import callback_problem
from ajaxkit.core.endpoint import WEBSOCKET
from ajaxkit.core.errors import run_after_commit
from ajaxkit.core.models.endpoint import Change
from ajaxkit.core.routing import Router, pattern_problem
from ajaxkit.core.settings import as_keywords
from ajaxkit.core.streams import Stream, served_by_sync_server
from ajaxkit.core.websocket import WebSocket
from ajaxkit.exceptions import (
    ConfigurationError,
    Forbidden,
    NotFound,
    RegistrationError,
    Unauthorized,
    ValidationFailed,
)
from ajaxkit.live.broker import Backlog, Broker, broker_reached
from ajaxkit.live.events import client_cursor, open_frame, reset_frame, validate_topic
from ajaxkit.live.feed import Feed
from ajaxkit.live.models import RowTopics, change_message, model_topic
from ajaxkit.live.settings import LiveSettings
from ajaxkit.live.websocket import LiveSocket
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["Authorize", "Live", "LiveSettings", "TopicRule", "make_broker"]

#: ``authorize(request, topic, action) -> bool`` (or an awaitable of it).
Authorize = Callable[[AjaxRequest, str, str], "bool | Awaitable[bool]"]


SSE_HEADERS = {
    "Cache-Control": "no-store",
    # nginx buffers proxied responses unless told not to.
    "X-Accel-Buffering": "no",
}

#: Why a batch refuses a long-poll item (rule K5): it may wait
#: ``poll_timeout`` before it answers, holding up every other item.
SSE_UNBATCHABLE = (
    "it answers with an event stream, which lasts as long as the subscription, "
    "and a batch answers once every item has; subscribe on its own (EventSource)."
)
POLL_UNBATCHABLE = (
    "a long-poll waits for events before it answers (up to poll_timeout), "
    "which would hold up the whole batch; send it on its own."
)


@dataclass(frozen=True)
class TopicRule:
    """A declared topic pattern and who may subscribe to it."""

    pattern: str
    authorize: Authorize | None
    login_required: bool


_BROKER_URLS = "'memory://' or 'redis://host:port/db' (also rediss://, unix://)"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def make_broker(url: str) -> Broker:
    """A broker from a URL: ``memory://`` or ``redis://host:port/db``.

    Raises:
        ConfigurationError: an unknown URL, naming it.
    """
    if not _known_url(url):
        raise ConfigurationError(f"Unknown broker URL {url!r}: use {_BROKER_URLS}.")
    if url == "memory://":
        from ajaxkit.live.memory import MemoryBroker

        return MemoryBroker()
    from ajaxkit.live.redis import RedisBroker

    return RedisBroker(url)


def _known_url(url: object) -> bool:
    return url == "memory://" or (isinstance(url, str) and url.startswith(_REDIS_SCHEMES))


def _broker(given: object) -> Broker:
    """``Live``'s ``broker`` argument as a broker; a mistake names the argument."""
    if isinstance(given, Broker):
        return given
    if not isinstance(given, str) or not _known_url(given):
        raise ConfigurationError(f"Live(broker={given!r}): give a Broker or a URL, {_BROKER_URLS}.")
    return make_broker(given)


def _settings(given: object) -> LiveSettings:
    """``Live``'s ``settings`` argument, checked; a mistake says what to pass.

    Settings are an object passed in (as ``Ajax(settings=Settings(...))``),
    so a mapping is refused rather than read: it would fail later as an
    ``AttributeError`` naming no setting, and an empty one would pass for
    the defaults.
    """
    if given is None:
        return LiveSettings()
    if isinstance(given, LiveSettings):
        return given
    example = f"LiveSettings({as_keywords(given, 'heartbeat=0')})"
    raise ConfigurationError(f"Live(settings={given!r}): give a LiveSettings, settings={example}.")


class Live:
    """Topics, publishing and the live transports of one registry.

    Args:
        api: the registry whose mount serves the transports.
        broker: a :class:`Broker` or a URL for :func:`make_broker`.
        settings: transport behaviour (:class:`LiveSettings`).
    """

    def __init__(
        self,
        api: Ajax,
        broker: Broker | str = "memory://",
        *,
        settings: LiveSettings | None = None,
    ) -> None:
        self.api = api
        self.broker = _broker(broker)
        self.settings = _settings(settings)
        self._topics = Router()
        self._rules: dict[str, TopicRule] = {}
        self._heartbeat = _Heartbeat(self.broker, self.settings.heartbeat)
        # All three transports or none: a clash on one leaves no other behind.
        with api.registering():
            api.add(
                "_live/sse",
                self._sse,
                methods=["GET"],
                permission=self._permit,
                unbatchable=SSE_UNBATCHABLE,
            )
            api.add(
                "_live/poll",
                self._poll,
                methods=["GET"],
                permission=self._permit,
                unbatchable=POLL_UNBATCHABLE,
            )
            api.add(
                "_live/ws",
                self._socket,
                methods=[WEBSOCKET],
                message_rate=self.settings.message_rate,
            )

    # --- declaring and publishing ------------------------------------------------

    def topic(
        self, pattern: str, *, authorize: Authorize | None = None, login_required: bool = False
    ) -> None:
        """Declare the topics matching ``pattern`` (``"chat/{room}"``).

        Args:
            authorize: ``authorize(request, topic, action)``; ``action`` is
                ``"subscribe"``.  Runs on every connect and every resume.
            login_required: refuse anonymous subscribers (401).
        """
        if not isinstance(pattern, str) or pattern.startswith("_") or not pattern.strip("/"):
            raise RegistrationError(
                f"Topic {pattern!r}: a pattern is a non-empty string not starting with '_'."
            )
        problem = pattern_problem(pattern)
        if problem is not None:
            raise RegistrationError(f"Topic {pattern!r}: {problem}.")
        if authorize is not None:
            problem = callback_problem("authorize", authorize, ("request", "topic", "action"))
            if problem is not None:
                raise RegistrationError(f"Topic {pattern!r}: {problem}.")
        if not isinstance(login_required, bool):
            raise RegistrationError(
                f"Topic {pattern!r}: login_required must be True or False, not {login_required!r}."
            )
        route = self._topics.route(pattern)
        if route.pattern in self._rules:
            raise RegistrationError(f"Topic {pattern!r} is already declared.")
        self._rules[route.pattern] = TopicRule(route.pattern, authorize, login_required)

    def publish(self, topic: str, data: Any) -> str:
        """Publish ``data`` (anything the registry's encoder writes) to ``topic``; its cursor."""
        return self.broker.publish(self._declared(topic), self.api.settings.encoder.dumps(data))

    async def apublish(self, topic: str, data: Any) -> str:
        """:meth:`publish` from async code."""
        payload = self.api.settings.encoder.dumps(data)
        return await self.broker.apublish(self._declared(topic), payload)

    def model(
        self,
        model: Any,
        *,
        topics: RowTopics | None = None,
        authorize: Authorize | None = None,
    ) -> str | None:
        """Publish the committed changes of ``model``'s endpoint (registered with ``api.model``).

        Without ``topics``, every change goes to ``models/<resource>``, which
        whoever may list the resource may subscribe to (or whom ``authorize``
        allows); returns that topic.  An endpoint that narrows its rows
        (``get_queryset``, ``can_get``) must pass ``topics(record) -> [topic,
        ...]`` naming topics declared with :meth:`topic`, so that nobody is
        told of a row they may not see.  See :mod:`ajaxkit.live.models`.
        """
        resource = self.api.models.get(model)
        if resource is None:
            raise RegistrationError(
                f"{model!r} has no model endpoint: register it with api.model() first."
            )
        topic = model_topic(self, resource, topics=topics, authorize=authorize)
        if topics is None:
            assert topic is not None
            one = (topic,)
            topics = lambda record: one  # noqa: E731 - one topic for every row
        self.watch(resource, topics)
        return topic

    def watch(self, resource: Any, topics: RowTopics) -> None:
        """Publish each committed change of ``resource`` to ``topics(record)``."""

        def observe(request: AjaxRequest, change: Change) -> None:
            # Runs after the commit: a failing topics function is logged by
            # the model layer, a failing publish here, each topic on its own
            # (the change is stored; only that event is lost).
            chosen = topics(change.record)
            if isinstance(chosen, (str, bytes)):
                # A sequence of one-character topics, else: one error each.
                raise TypeError(
                    f"topics(record) returned {chosen!r}: return a list of topics, [{chosen!r}]."
                )
            message = change_message(resource, change)
            where = f"{change.resource} {change.action} published to"
            for topic in chosen:
                run_after_commit(
                    self.api.settings.logger_name,
                    request,
                    f"{where} {topic!r}",
                    partial(self.publish, topic, message),
                )

        resource.observers.append(observe)

    def revoke(self, user: Any, topic: str | None = None) -> None:
        """Close ``user``'s live subscriptions (to ``topic``, or all) on every process.

        Their next connect or resume runs ``authorize`` again.
        """
        key = user_key(user)
        if key is not None:
            self.broker.revoke(key, topic)

    def _declared(self, topic: str) -> str:
        """``topic``, which the server may publish to; else a ``ValueError`` naming it.

        Not the subscriber's 404: a topic the server publishes to is the
        server's own mistake, logged as one, never told to whoever made the
        request as something that does not exist.
        """
        validate_topic(topic)
        try:
            self._rule(topic)
        except NotFound as exc:
            raise ValueError(f"Cannot publish: {exc.detail}") from None
        return topic

    def _rule(self, topic: str) -> TopicRule:
        if topic.startswith("_"):
            # Reserved, like the patterns: ajaxkit's own control topics
            # (revocations, naming users) must match no declared pattern.
            raise NotFound(f"No topic {topic!r} is declared: names starting with '_' are reserved.")
        try:
            route, _ = self._topics.match(topic)
        except NotFound:
            raise NotFound(f"No topic {topic!r} is declared.") from None
        return self._rules[route.pattern]

    # --- admission -------------------------------------------------------------

    def _permit(self, request: AjaxRequest) -> bool:
        """Every asked topic is declared and allowed (the route's permission)."""
        try:
            self.authorize_topics(request, self._asked(request))
        except Forbidden:
            return False
        return True

    def authorize_topics(self, request: AjaxRequest, topics: frozenset[str]) -> None:
        """Raise unless ``request.user`` may subscribe to every one of ``topics``.

        Raises:
            NotFound: a topic is not declared.
            Forbidden: a topic refuses the user (401 when anonymous).
        """
        user = request.user
        for topic in sorted(topics):
            rule = self._rule(topic)
            allowed = not rule.login_required or is_authenticated(user)
            if allowed and rule.authorize is not None:
                allowed = _call(rule.authorize, request, topic)
            if not allowed:
                if not is_authenticated(user):
                    raise Unauthorized(f"Log in to subscribe to {topic!r}.")
                raise Forbidden(f"You may not subscribe to {topic!r}.")

    def check_topic_count(self, topics: frozenset[str]) -> None:
        """Raise a 422 when ``topics`` is more than one connection may have."""
        if len(topics) > self.settings.max_topics:
            raise ValidationFailed(
                [{"parameter": "topic", "detail": "Too many topics"}],
                f"At most {self.settings.max_topics} topics per connection.",
            )

    def _asked(self, request: AjaxRequest) -> frozenset[str]:
        topics = request.query.getlist("topic")
        if not topics:
            raise ValidationFailed(
                [{"parameter": "topic", "detail": "Field required"}], "Name at least one topic."
            )
        self.check_topic_count(frozenset(topics))
        for topic in topics:
            try:
                validate_topic(topic)
            except ValueError as exc:
                raise ValidationFailed([{"parameter": "topic", "detail": str(exc)}]) from None
        return frozenset(topics)

    # --- transports --------------------------------------------------------------

    async def _socket(self, ws: WebSocket) -> None:
        """Subscribe and unsubscribe over a WebSocket (see :mod:`ajaxkit.live.websocket`)."""
        await LiveSocket(self, ws, user_key(ws.user)).run()

    async def _sse(self, request: AjaxRequest, cursor: str | None = None) -> Stream:
        """Server-Sent Events for the asked topics, from the client's cursor."""
        topics = self._asked(request)
        head = await self._reachable()
        # Without a cursor the stream starts at the head read here, before
        # the 200: it subscribes only once the response has begun, and an
        # event published meanwhile (by a page told "open") is its backlog.
        start = request.headers.get("last-event-id") or cursor or head
        source = _SseSource(self, topics, start, head, user_key(request.user))
        return Stream(source, media_type="text/event-stream", headers=SSE_HEADERS)

    async def _reachable(self) -> str:
        """The head of the log; a 503 unless the broker answers now, before a stream's 200 is sent.

        The stream subscribes once the response has started, on the loop
        that drives it (under WSGI, not the handler's): a broker that is
        down there could only end an empty 200, which EventSource takes for
        a stream that opened, so a client would never fall back to
        long-poll.  Asking it for the head here costs one round trip.
        """
        with broker_reached():
            await self.broker.start()
            return (await self.broker.since(None, ())).cursor

    async def _poll(
        self, request: AjaxRequest, cursor: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Long-poll: the events after ``cursor`` as soon as there are any, or none on timeout."""
        topics = self._asked(request)
        longest = self.settings.poll_timeout
        wait = longest if timeout is None else max(0.0, min(timeout, longest))
        if not cursor:
            # "cursor=" is no cursor, as for SSE, WebSocket and model lists (B13).
            with broker_reached():
                return _poll_answer(await self.broker.since(None, topics))
        limit = self.settings.poll_limit
        # Bounded from the first read: a cursor as old as the log must not
        # buy the whole retained window in one answer.  Not an SSE
        # subscription: it writes no frame, and the heartbeat's comment
        # would end the wait early with nothing to answer.
        with broker_reached():
            opened = await self.broker.open(
                topics, cursor, user_key=user_key(request.user), sse=False, backlog_limit=limit
            )
        try:
            backlog = opened.backlog
            if not (backlog.events or backlog.reset) and wait > 0:
                await _wait(opened.subscription.wait(), _deadline(wait))
                with broker_reached():
                    backlog = await self.broker.since(client_cursor(cursor), topics, limit)
        finally:
            self.broker.close(opened.subscription)
        return _poll_answer(backlog)


def user_key(user: Any) -> str | None:
    """A stable key for an authenticated user (its ``pk``/``id``), else ``None``."""
    if not is_authenticated(user):
        return None
    for name in ("pk", "id", "username"):
        value = getattr(user, name, None)
        if value is not None:
            return str(value)
    return str(user)


def _poll_answer(backlog: Backlog) -> dict[str, Any]:
    return {
        "cursor": backlog.cursor,
        "reset": backlog.reset,
        "events": [
            {"id": e.cursor, "topic": e.topic, "data": orjson.Fragment(e.data)}
            for e in backlog.events
        ],
    }


def _call(authorize: Authorize, request: AjaxRequest, topic: str) -> bool:
    if inspect.iscoroutinefunction(authorize):
        return bool(async_to_sync(authorize)(request, topic, "subscribe"))
    answer = authorize(request, topic, "subscribe")
    if inspect.isawaitable(answer):
        # An async __call__, or a function returning a coroutine: the
        # awaitable itself is always true, its answer is what counts.
        return bool(async_to_sync(_awaited)(answer))
    return bool(answer)


async def _awaited(answer: Awaitable[bool]) -> bool:
    return await answer


def _deadline(seconds: float | None) -> float | None:
    return None if seconds is None else asyncio.get_running_loop().time() + seconds


async def _wait(waiting: Awaitable[None], deadline: float | None) -> bool:
    """Await ``waiting``; ``False`` when ``deadline`` (loop time) came first."""
    if deadline is None:
        await waiting
        return True
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        await asyncio.wait_for(waiting, max(remaining, 0))
    except asyncio.TimeoutError:
        return False
    return True


class _Heartbeat:
    """ONE timer thread per hub writing a comment to every idle stream.

    Idle connections cost no task and no timer of their own; a failing
    heartbeat write is how a half-open connection is noticed.
    """

    def __init__(self, broker: Broker, interval: float) -> None:
        self._broker = weakref.ref(broker)
        self._interval = interval
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        if self._thread is not None or self._interval <= 0:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ajaxkit-heartbeat", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self._interval):
            broker = self._broker()
            if broker is None:
                return
            broker.heartbeat()
            del broker


class _SseSource:
    """One SSE connection as a :class:`~ajaxkit.core.streams.PushSource`.

    Its :class:`~ajaxkit.live.feed.Feed` is opened in :meth:`start`, on the
    loop that drives the stream (under WSGI that is the stream's own loop,
    not the handler's).  A resume's backlog is read ``backlog_page`` events
    at a time and goes out before any live event, in writes of at most
    ``buffer_bytes`` (the bound live delivery has): a cursor as old as the
    retained window must make the server hold neither the window nor one
    write of it, and the server's flow control paces the rest.
    """

    __slots__ = ("_feed", "_head", "_hub", "_opening", "_start", "_topics", "_who")

    def __init__(
        self, hub: Live, topics: frozenset[str], start: str | None, head: str, who: str | None
    ):
        self._hub = hub
        self._topics = topics
        self._start = start
        self._head = head
        self._who = who
        self._opening = b""
        self._feed: Feed | None = None

    async def start(self) -> None:
        hub = self._hub
        self._feed = await Feed.open(
            hub.broker,
            self._topics,
            self._start,
            page=hub.settings.backlog_page,
            buffer_bytes=hub.settings.buffer_bytes,
            user_key=self._who,
        )
        self._opening = _opening_frame(
            self._feed.first, self._start, self._head, hub.settings.retry_ms
        )
        hub._heartbeat.ensure_running()

    def take(self) -> bytes:
        assert self._feed is not None
        if self._opening:
            opening, self._opening = self._opening, b""
            return opening
        return b"".join(self._feed.take(self._hub.settings.buffer_bytes))

    @property
    def finished(self) -> bool:
        return self._feed is None or self._feed.closed

    def listen(self, ready: Callable[[], None] | None) -> None:
        assert self._feed is not None
        self._feed.listen(ready)

    def seconds(self) -> float | None:
        limit = self._hub.settings.stream_seconds
        if served_by_sync_server():
            wsgi = self._hub.settings.wsgi_stream_seconds
            return wsgi if limit is None else min(limit, wsgi)
        return limit

    async def aclose(self) -> None:
        if self._feed is not None:
            self._feed.close()


def _opening_frame(first: Backlog, start: str | None, head: str, retry: int) -> bytes:
    """The open frame (id, retry, cursor, head) before anything else, or a cursor's reset."""
    if first.reset:
        return reset_frame(first.cursor) + b"retry: %d\n\n" % retry
    # The id stays the client's own cursor until an event moves it, so a
    # drop in the middle of the backlog resumes from the right place.
    return open_frame(start if start and first.events else first.cursor, head, retry)


# What the OpenAPI document cannot read off the signatures: the topics are
# read from the query string by hand (a repeated ``topic``), and SSE answers
# an event stream (see ajaxkit.core.openapi.operations).
_TOPICS = {
    "name": "topic",
    "in": "query",
    "required": True,
    "style": "form",
    "explode": True,
    "schema": {"type": "array", "items": {"type": "string"}, "minItems": 1},
}
_SSE_BODY = {"text/event-stream": {"schema": {"type": "string"}}}
Live._sse.__ajaxkit_openapi__ = {  # type: ignore[attr-defined]
    "parameters": [_TOPICS],
    "responses": {"200": {"description": "Server-Sent Events.", "content": _SSE_BODY}},
}
Live._poll.__ajaxkit_openapi__ = {"parameters": [_TOPICS]}  # type: ignore[attr-defined]
