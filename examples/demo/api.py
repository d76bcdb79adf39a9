"""The demo's ajaxkit endpoint: written once, framework-free.

``GET <mount>/users/search?q=al&limit=10`` answers a JSON list of users;
a query over 40 characters or a bad ``limit`` is a 422 problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ajaxkit import Ajax
from examples.demo import users

__all__ = ["MAX_QUERY_LENGTH", "create_api"]

#: Longest accepted query; a longer one is a 422 problem the page shows.
MAX_QUERY_LENGTH = 40


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
    return api
