"""How the live transports behave: :class:`LiveSettings`, checked when built.

Each value's range comes from its use in :mod:`ajaxkit.live.hub`, so a
mistake is a :class:`~ajaxkit.exceptions.ConfigurationError` naming the
field and the value when the application starts, not a failure on the first
connection (a string) or a quietly broken transport (a zero poll timeout
answers every long-poll at once; ``max_topics=0`` refuses every subscriber).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from typing import Any

from ajaxkit.core.message_rate import read_message_rate
from ajaxkit.exceptions import ConfigurationError
from ajaxkit.live.feed import DEFAULT_PAGE
from ajaxkit.live.subscription import DEFAULT_BUFFER_BYTES

__all__ = ["LiveSettings"]


@dataclass(frozen=True)
class LiveSettings:
    """How the transports behave.

    Attributes:
        heartbeat: seconds between heartbeat comments on an idle stream
            (``0``: none).
        retry_ms: the reconnection delay sent to EventSource clients, 0 or more.
        stream_seconds: an SSE response ends itself after this long and the
            client reconnects with its cursor (``None``: never, on ASGI).
        wsgi_stream_seconds: the same under a WSGI server, where a stream
            holds one of the few worker threads: keep it below the worker
            timeout (gunicorn's default is 30 s).
        poll_timeout: the longest a long-poll request waits for events.
        max_topics: topics one connection may ask for, and name in one
            WebSocket command.
        buffer_bytes: frames one connection may have queued before it is
            closed as too slow (4429 ``too_slow``; it then resumes from the log).
        poll_limit: the most events one long-poll answer carries.
        backlog_page: the most backlog events an SSE or WebSocket resume
            reads (and holds) at once; it reads page after page until it
            has caught up with the log.
        message_rate: the commands (subscribe, unsubscribe, ping) one
            ``_live/ws`` connection may send, as ``message_rate=`` on a
            WebSocket endpoint: ``"20/second"`` or a list of them; ``None``
            for no limit.  The one over it closes the socket with 4429
            ``rate_limited``.

    Raises:
        ConfigurationError: a value out of its range or of the wrong type,
            naming the field and the value.
    """

    heartbeat: float = 15.0
    retry_ms: int = 3000
    stream_seconds: float | None = None
    wsgi_stream_seconds: float = 25.0
    poll_timeout: float = 25.0
    max_topics: int = 20
    buffer_bytes: int = DEFAULT_BUFFER_BYTES
    poll_limit: int = 1000
    backlog_page: int = DEFAULT_PAGE
    # Each subscribe opens a feed and authorizes its topics: a page needs a
    # few at load and a ping now and then, not hundreds a second.
    message_rate: str | tuple[str, ...] | None = "20/second, 300/minute"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in _NONE_ALLOWED and value is None:
                continue
            problem = _RULES[field.name](value)
            if problem is not None:
                raise ConfigurationError(f"LiveSettings({field.name}={value!r}): {problem}.")


def _seconds(value: Any, *, zero: bool) -> str | None:
    """Why ``value`` is not a number of seconds (``zero``: 0 allowed), or ``None``."""
    wanted = "a finite number of seconds, " + ("0 or more" if zero else "above 0")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be {wanted}"
    # A thread waits for the heartbeat; it cannot wait for longer than this.
    if not (value >= 0 if zero else value > 0) or not value <= threading.TIMEOUT_MAX:
        return f"must be {wanted}"
    return None


def _whole(value: Any, least: int) -> str | None:
    """Why ``value`` is not an int of ``least`` or more, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        return f"must be a whole number, {least} or more"
    return None


def _rate(value: Any) -> str | None:
    """Why ``value`` is not a message rate, or ``None``."""
    try:
        read_message_rate(value)
    except ValueError as exc:
        return str(exc)
    return None


# ``stream_seconds=None``: never ends; ``message_rate=None``: no limit.
_NONE_ALLOWED = frozenset({"stream_seconds", "message_rate"})

_RULES = {
    # 0 turns the heartbeat off (the timer thread is never started).
    "heartbeat": lambda v: _seconds(v, zero=True),
    # The SSE "retry:" field, which browsers read only when it is digits.
    "retry_ms": lambda v: _whole(v, 0),
    # 0 would end every stream, or answer every long-poll, at once.
    "stream_seconds": lambda v: _seconds(v, zero=False),
    "wsgi_stream_seconds": lambda v: _seconds(v, zero=False),
    "poll_timeout": lambda v: _seconds(v, zero=False),
    # 0 would refuse every subscriber, close every stream, answer no event
    # (or read no page).
    "max_topics": lambda v: _whole(v, 1),
    "buffer_bytes": lambda v: _whole(v, 1),
    "poll_limit": lambda v: _whole(v, 1),
    "backlog_page": lambda v: _whole(v, 1),
    "message_rate": _rate,
}
