"""What a ``HEAD`` answer is: the ``GET`` answer's status and headers, no body.

RFC 9110 §9.3.2: the server SHOULD send the header fields it would send for
``GET``.  The core empties the body itself, and says how long it was, so no
framework sends a length of 0 (which a cache takes for an empty resource)
and every framework sends the same header.
"""

from __future__ import annotations

from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = ["strip_for_head"]


def strip_for_head(request: AjaxRequest | None, response: AjaxResponse) -> AjaxResponse:
    """``response`` emptied for a ``HEAD`` ``request``, its ``Content-Length`` kept."""
    if request is None or request.method != "HEAD":
        return response
    if response.status not in (204, 304) and "Content-Length" not in response.headers:
        response.headers["Content-Length"] = str(len(response.body))
    response.body = b""
    return response
