"""Conditional GET: whether an ``If-None-Match`` names the representation held.

One reading for every answer that carries an ``ETag`` (a model record, the
browser client, the OpenAPI document and its TypeScript declarations), so
that a client's revalidation means the same wherever it is sent.
"""

from __future__ import annotations

__all__ = ["none_match"]


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: <header>`` matches ``etag`` (a GET or HEAD then answers 304).

    RFC 9110 §13.1.2: tags compare weakly (``W/"x"`` names ``"x"``), and
    ``*`` matches any current representation.
    """
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags
