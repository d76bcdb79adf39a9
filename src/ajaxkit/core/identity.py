"""Who is calling, for keying rate limits and idempotency keys.

Two questions: which user (a stable id for an authenticated user) and which
client address (the peer, or the first untrusted hop of
``X-Forwarded-For``).
"""

from __future__ import annotations

from typing import Any

from ajaxkit.core.auth import is_authenticated
from ajaxkit.types import AjaxRequest

__all__ = ["client_address", "user_id"]

#: Attributes naming a user on Django (``pk``), SQLAlchemy/Flask-Login
#: models (``id``) and Starlette's ``SimpleUser`` (``username``).
_ID_ATTRIBUTES = ("pk", "id", "username", "identity")


def user_id(user: Any) -> str | None:
    """A stable string naming an authenticated ``user``; ``None`` when anonymous."""
    if not is_authenticated(user):
        return None
    for name in _ID_ATTRIBUTES:
        value = getattr(user, name, None)
        if value is not None and not callable(value):
            return f"{type(user).__name__}:{value}"
    get_id = getattr(user, "get_id", None)  # Flask-Login's UserMixin
    if callable(get_id):
        return f"{type(user).__name__}:{get_id()}"
    # A user_loader may return a bare value (a name, a token's subject).
    return f"{type(user).__name__}:{user}"


def client_address(request: AjaxRequest, trusted_proxies: int) -> str:
    """The client's address: the peer, or with ``trusted_proxies`` hops in front,
    the address the outermost trusted proxy saw.

    Each proxy appends the address it received the request from to
    ``X-Forwarded-For``, so only the last ``trusted_proxies`` entries were
    written by proxies we run; anything left of them the client may have
    made up.  Fewer entries than trusted hops means the request did not come
    through them all, and the peer address is used.
    """
    peer = request.client or "unknown"
    if trusted_proxies <= 0:
        return peer
    forwarded: str = request.headers.get("x-forwarded-for") or ""
    if "," not in forwarded:
        # One hop, what a single proxy in front sends: spared the split and
        # the list (every rate-limited request by address comes here).
        only = forwarded.strip()
        if trusted_proxies == 1 and only:
            return only
        return peer
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if len(hops) < trusted_proxies:
        return peer
    return hops[-trusted_proxies]
