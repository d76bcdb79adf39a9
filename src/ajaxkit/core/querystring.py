"""The query string, read the same way by every integration (rules B1, U11).

Servers hand it over differently (ASGI as the bytes that came, WSGI as
Latin-1 text, Django's ASGI handler decoded already), and the frameworks'
own parsers disagree on what is not UTF-8 (werkzeug keeps ``%FF`` as it
is).  Integrations bring it to bytes or text and read it here, never
through the framework's parsed query.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from ajaxkit.types import EMPTY_QUERY, MultiDict

__all__ = ["parse_query"]


def parse_query(raw: bytes | str) -> MultiDict:
    """The pairs of the query string ``raw``, blank values kept.

    Bytes are read as UTF-8, and so are percent-escapes: a byte that is not
    UTF-8, escaped or not, is U+FFFD; ``+`` is a space.  No query gives the
    shared :data:`~ajaxkit.types.EMPTY_QUERY`.
    """
    if not raw:
        return EMPTY_QUERY
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return MultiDict(parse_qsl(text, keep_blank_values=True))
