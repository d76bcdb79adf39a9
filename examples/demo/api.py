"""The demo's ajaxkit endpoints: written once, framework-free.

``GET <mount>/users/search?q=al&limit=10`` answers a JSON list of users;
a query over 40 characters or a bad ``limit`` is a 422 problem.

``<mount>/people`` is a model endpoint (list, create, ``PATCH`` with
``If-Match``, delete) whose changes every page receives live
(:mod:`examples.demo.people`).

``<mount>/activity`` and ``<mount>/chat`` store lines and publish them to
every open page over Server-Sent Events (:mod:`examples.demo.messages`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Engine

from ajaxkit import Ajax
from ajaxkit.live import Broker, Live, LiveSettings
from examples.demo import users
from examples.demo.messages import register_messages
from examples.demo.people import register_people

__all__ = ["MAX_QUERY_LENGTH", "PRINTABLE", "create_api"]

#: Longest accepted query; a longer one is a 422 problem the page shows.
MAX_QUERY_LENGTH = 40
#: No control characters in a query: PostgreSQL refuses a NUL in text, so
#: searching for one was a 500 instead of the sender's 422.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def create_api(database: Engine, broker: Broker | str = "memory://") -> Ajax:
    """The demo's endpoints on ``database``, publishing live events through ``broker``."""
    api = Ajax()

    # --8<-- [start:endpoint]
    @api.endpoint("users/search")
    def search(
        q: Annotated[str, Field(max_length=MAX_QUERY_LENGTH, pattern=PRINTABLE)] = "",
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> list[dict[str, Any]]:
        """Users whose name contains ``q``, ignoring case and accents."""
        return users.search(database, q, limit)

    # --8<-- [end:endpoint]
    # Reconnect quickly: a demo server restarts often.
    live = Live(api, broker, settings=LiveSettings(retry_ms=1000))
    register_messages(api, live, database)
    register_people(api, live, database)
    return api
