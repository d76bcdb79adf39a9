"""Live updates: ``publish()`` from any handler, delivered over SSE and long-poll.

Layered above :mod:`ajaxkit.core` and below the integrations: nothing here
imports a web framework, and only :mod:`ajaxkit.live.redis` imports redis
(when a Redis broker is made).  See :class:`Live` to start.
"""

from __future__ import annotations

from ajaxkit.live.broker import Backlog, Broker, Opened
from ajaxkit.live.events import OPEN_EVENT, RESET_EVENT, Cursor, Event, parse_cursor
from ajaxkit.live.hub import Authorize, Live, LiveSettings, TopicRule, make_broker
from ajaxkit.live.memory import MemoryBroker
from ajaxkit.live.subscription import Subscription

__all__ = [
    "OPEN_EVENT",
    "RESET_EVENT",
    "Authorize",
    "Backlog",
    "Broker",
    "Cursor",
    "Event",
    "Live",
    "LiveSettings",
    "MemoryBroker",
    "Opened",
    "Subscription",
    "TopicRule",
    "make_broker",
    "parse_cursor",
]
