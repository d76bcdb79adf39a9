"""A spec-faithful EventSource for tests: parses frames and resumes with Last-Event-ID.

Follows the WHATWG "event stream interpretation": ``id`` sets the last event
id even on a frame without data; a frame is dispatched at a blank line only
when it has data; comments are ignored.  Like a page listening to its
topics (and to ``ajaxkit-reset``), it keeps no ``ajaxkit-open`` event: that
one only tells where the stream starts, which its ``id`` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx


@dataclass
class Received:
    """Everything an EventSource saw, across reconnections."""

    last_event_id: str = ""
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (id, event, data)
    connections: int = 0


def read_stream(url: str, received: Received, *, timeout: float = 10.0) -> Iterator[None]:
    """Connect once to ``url`` (resuming from ``received``); yield after each event."""
    headers = {"Accept": "text/event-stream"}
    if received.last_event_id:
        headers["Last-Event-ID"] = received.last_event_id
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        response.raise_for_status()
        received.connections += 1
        event, event_id = "", None
        data: list[str] = []
        for line in response.iter_lines():
            if line == "":
                if event_id is not None:
                    received.last_event_id = event_id
                if data and event != "ajaxkit-open":
                    received.events.append(
                        (received.last_event_id, event or "message", "\n".join(data))
                    )
                    yield None
                event, event_id = "", None
                data = []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                event_id = value
            elif name == "event":
                event = value
            elif name == "data":
                data.append(value)
