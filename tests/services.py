"""Access to the external services some tests need: PostgreSQL, Redis, Chromium.

Unreachable services skip their tests locally; with
``AJAXKIT_REQUIRE_SERVICES=1`` (CI) they fail instead, so a missing service can
never pass as green.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_HOST = os.environ.get("AJAXKIT_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("AJAXKIT_POSTGRES_PORT", "5432"))
POSTGRES_DB = os.environ.get("AJAXKIT_POSTGRES_DB", "test")
POSTGRES_USER = os.environ.get("AJAXKIT_POSTGRES_USER", "postgres")
REDIS_HOST = os.environ.get("AJAXKIT_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("AJAXKIT_REDIS_PORT", "6379"))
CHROMIUM = os.environ.get("AJAXKIT_CHROMIUM", "/usr/bin/chromium")


def services_required() -> bool:
    return os.environ.get("AJAXKIT_REQUIRE_SERVICES") == "1"


def _unavailable(what: str) -> None:
    if services_required():
        pytest.fail(f"{what} is required (AJAXKIT_REQUIRE_SERVICES=1) but unreachable.")
    pytest.skip(f"{what} is unreachable")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_url(driver: str = "postgresql+psycopg") -> str:
    return f"{driver}://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DB}"


def redis_url(db: int = 0) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def require_postgres() -> None:
    """Skip (or, when services are required, fail) without PostgreSQL."""
    if not _reachable(POSTGRES_HOST, POSTGRES_PORT):
        _unavailable(f"PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT}")


def require_redis() -> None:
    """Skip (or, when services are required, fail) without Redis."""
    if not _reachable(REDIS_HOST, REDIS_PORT):
        _unavailable(f"Redis at {REDIS_HOST}:{REDIS_PORT}")


def require_browser() -> str:
    """The Chromium executable for Playwright; skip (or fail) without it."""
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("The playwright package")
    return CHROMIUM


def require_node() -> tuple[str, str]:
    """``node`` and ``npm`` for the JS client's tests; skip (or fail) without them."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("Node.js and npm (apt-get install nodejs npm)")
    return str(node), str(npm)
