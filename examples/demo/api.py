"""The demo's ajaxkit endpoints: written once, framework-free.

``GET <mount>/users/search?q=al&limit=10`` answers a JSON list of users;
a query over 40 characters or a bad ``limit`` is a 422 problem.

``<mount>/people`` is a model endpoint (list, create, ``PATCH`` with
``If-Match``, delete) whose changes every page receives live
(:mod:`examples.demo.people`).

``POST <mount>/activity`` (``{"text": …}``) publishes a line to the live
activity feed, which every open page receives over Server-Sent Events
(``<mount>/_live/sse?topic=activity``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ajaxkit import Ajax
from ajaxkit.live import Live, LiveSettings
from examples.demo import users
from examples.demo.people import register_people

__all__ = ["ACTIVITY_TOPIC", "MAX_ACTIVITY_LENGTH", "MAX_QUERY_LENGTH", "create_api"]

#: Longest accepted query; a longer one is a 422 problem the page shows.
MAX_QUERY_LENGTH = 40
#: Longest activity line.
MAX_ACTIVITY_LENGTH = 140
#: Where activity is published.
ACTIVITY_TOPIC = "activity"


def create_api(database: Path) -> Ajax:
    """The demo's endpoints, reading users from ``database``."""
    api = Ajax()

    # --8<-- [start:endpoint]
    @api.endpoint("users/search")
    def search(
        q: Annotated[str, Field(max_length=MAX_QUERY_LENGTH)] = "",
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> list[dict[str, Any]]:
        """Users whose name contains ``q``, ignoring case and accents."""
        return users.search(database, q, limit)

    # --8<-- [end:endpoint]
    # Reconnect quickly: a demo server restarts often.
    live = Live(api, settings=LiveSettings(retry_ms=1000))
    _activity_feed(api, live)
    register_people(api, live, database)
    return api


def _activity_feed(api: Ajax, live: Live) -> None:
    live.topic(ACTIVITY_TOPIC)

    @api.endpoint("activity", methods=["POST"])
    def post_activity(
        text: Annotated[str, Field(min_length=1, max_length=MAX_ACTIVITY_LENGTH)],
    ) -> dict[str, str]:
        """Publish one line to every open page; answers its cursor."""
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return {"cursor": live.publish(ACTIVITY_TOPIC, {"text": text, "at": at})}
