"""Access to the external services some tests need (PostgreSQL now; Redis and
a browser later).

Unreachable services skip their tests locally; with
``AJAXKIT_REQUIRE_SERVICES=1`` (CI) they fail instead, so a missing service can
never pass as green.
"""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_HOST = os.environ.get("AJAXKIT_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("AJAXKIT_POSTGRES_PORT", "5432"))
POSTGRES_DB = os.environ.get("AJAXKIT_POSTGRES_DB", "test")
POSTGRES_USER = os.environ.get("AJAXKIT_POSTGRES_USER", "postgres")


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


def require_postgres() -> None:
    """Skip (or, when services are required, fail) without PostgreSQL."""
    if not _reachable(POSTGRES_HOST, POSTGRES_PORT):
        _unavailable(f"PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT}")
