"""Skip-or-fail guards for tests that need an outside service.

Locally a missing service skips its tests; with ``AJAXKIT_REQUIRE_SERVICES=1``
(set by ``.ci/run``) it fails them, so CI can never go green by skipping.
Each guard returns what the test needs to reach the service.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("AJAXKIT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AJAXKIT_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("AJAXKIT_CHROMIUM", "/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("AJAXKIT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (required: AJAXKIT_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def _require_listening(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        socket.create_connection(address, timeout=1.0).close()
    except OSError as exc:
        _unavailable(f"nothing listening at {address[0]}:{address[1]} ({exc})")
    return url


def require_postgres() -> str:
    """The PostgreSQL URL (``AJAXKIT_POSTGRES_URL``), once the server answers."""
    return _require_listening(POSTGRES_URL, 5432)


def require_redis() -> str:
    """The Redis URL (``AJAXKIT_REDIS_URL``), once the server answers."""
    return _require_listening(REDIS_URL, 6379)


def require_browser() -> str:
    """The Chromium executable (``AJAXKIT_CHROMIUM``), with Playwright importable."""
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")
    return CHROMIUM
