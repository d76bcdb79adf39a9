"""Who is calling, for keying rate limits and idempotency keys.

Two questions: which user (a stable id for an authenticated user) and which
client address (the peer, or the first untrusted hop of
``X-Forwarded-For``).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any

from ajaxkit.core.auth import is_authenticated
from ajaxkit.types import AjaxRequest

__all__ = ["IPV6_PREFIX", "address_bucket", "client_address", "user_id"]

#: The IPv6 network one client is counted as: a /64 is what one subscriber
#: (one home, one virtual server) is given, and it chooses every address in it.
IPV6_PREFIX = 64
# "[v6]:port" and "v4:port", as some proxies write X-Forwarded-For hops.
_WITH_PORT = re.compile(r"\A\[(?P<v6>[^\]]+)\](?::\d+)?\Z|\A(?P<v4>[0-9.]+):\d+\Z")

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


# Remembered: a limited request by address asks on every request, parsing
# costs microseconds (an IPv6 network fifteen), and a busy process sees the
# same few thousand clients again and again.  Bounded, so strangers cycling
# addresses only cost the parse they would have cost anyway.
@functools.lru_cache(maxsize=4096)
def address_bucket(address: str) -> str:
    """The one name a client's ``address`` is counted under, however it is written.

    A port or brackets are dropped (``"[2001:db8::1]:443"``,
    ``"203.0.113.7:50000"``), an IPv4 address written as IPv6
    (``"::ffff:203.0.113.7"``) is the IPv4 one, and an IPv6 address counts
    as its /64 network (:data:`IPV6_PREFIX`), every address of which its
    holder may use.  Anything that is no IP address (``"unknown"``, a Unix
    socket) is its own name.
    """
    found = _WITH_PORT.match(address)
    text = (found.group("v6") or found.group("v4")) if found else address
    try:
        ip = ipaddress.ip_address(text.partition("%")[0])  # no zone (fe80::1%eth0)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)
