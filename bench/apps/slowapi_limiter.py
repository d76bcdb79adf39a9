"""slowapi, the peer of ajaxkit's rate limit on the ``peer`` side of Starlette and FastAPI."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

__all__ = ["attach", "limiter"]


def limiter() -> Any:
    """slowapi's ``Limiter`` as its docs set it up: counters in memory, ``X-RateLimit-*`` headers.

    The key is ``get_remote_address`` (the ASGI client): uvicorn rewrites it
    from ``X-Forwarded-For`` when the connection comes from a trusted proxy
    (by default 127.0.0.1 only), which is one trusted proxy, as ajaxkit's
    ``trusted_proxies=1``.
    """
    from slowapi import Limiter
    from slowapi.util import get_remote_address

    return Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)


def attach(app: Starlette, limiter: Any) -> None:
    """Attach ``limiter`` to ``app`` as slowapi's docs say: its state and its 429 answer."""
    from slowapi import _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded

    app.state.limiter = limiter
    # The handler takes RateLimitExceeded, not any Exception: right, but not to mypy.
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
