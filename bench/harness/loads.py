"""What wrk sends to each cell (:data:`LOADS`), and the safety comparisons'
cells (:data:`SAFETY`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """What wrk sends to one cell: the path below ``/<side>/`` and the request's extras."""

    path: str
    #: POST ``ECHO_BODY`` (otherwise GET).
    body: bool = False
    #: ``"fetch"``: a browser's same-origin ``fetch()`` headers; ``"token"``:
    #: the CSRF token and its cookie, and no Origin or Fetch Metadata (an old
    #: browser, a script); ``None``: neither.
    csrf: str | None = None
    #: Rotate ``X-Forwarded-For`` over this many client addresses (0: none).
    keys: int = 0


#: Client addresses the rate-limited cells rotate over: at 25,000 req/s each
#: sends ~25 req/s, so none reaches ``100/second`` and every answer is a 200.
KEYS = 1024

#: Every cell's load by name.  The guarded cell of a safety comparison and its
#: unguarded twin send the same request apart from the path.
LOADS = {
    "small": Load("small"),
    "users": Load("users"),
    "echo": Load("echo", body=True),
    "csrf-fetch": Load("echo-csrf", body=True, csrf="fetch"),
    "csrf-fetch-exempt": Load("echo", body=True, csrf="fetch"),
    "csrf-token": Load("echo-csrf", body=True, csrf="token"),
    "csrf-token-exempt": Load("echo", body=True, csrf="token"),
    "limited": Load("limited", keys=KEYS),
    "unlimited": Load("small", keys=KEYS),
}

#: The safety comparisons by ``--endpoints`` group: (label, guarded cell,
#: unguarded cell, goal).  ``limits-redis`` runs on each server's ``+redis``
#: twin, whose counters live in Redis.
SAFETY: dict[str, tuple[tuple[str, str, str, float | None], ...]] = {
    "csrf": (
        ("csrf fetch", "csrf-fetch", "csrf-fetch-exempt", 0.95),
        ("csrf token", "csrf-token", "csrf-token-exempt", 0.95),
    ),
    "limits": (("100/second memory", "limited", "unlimited", 0.9),),
    "limits-redis": (("100/second redis", "limited", "unlimited", None),),
}


def safety_cells(guard: str) -> tuple[str, str]:
    """The guarded and the unguarded cell of the safety comparison labelled ``guard``."""
    return next((g, u) for rows in SAFETY.values() for label, g, u, _ in rows if label == guard)
