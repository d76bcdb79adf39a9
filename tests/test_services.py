"""The service guards: skip locally, fail under AJAXKIT_REQUIRE_SERVICES=1."""

from __future__ import annotations

import re
import socket

import pytest

from tests import services


def test_missing_service_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AJAXKIT_REQUIRE_SERVICES", raising=False)
    monkeypatch.setattr(services, "REDIS_PORT", 1)  # port 1: nothing listens there
    with pytest.raises(pytest.skip.Exception, match=re.escape("Redis at 127.0.0.1:1 ")):
        services.require_redis()


def test_missing_service_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AJAXKIT_REQUIRE_SERVICES", "1")
    monkeypatch.setattr(services, "POSTGRES_PORT", 1)
    with pytest.raises(
        pytest.fail.Exception, match=re.escape("PostgreSQL at 127.0.0.1:1 is required")
    ):
        services.require_postgres()


def test_listening_service_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AJAXKIT_REQUIRE_SERVICES", "1")
    with socket.create_server(("127.0.0.1", 0)) as server:
        monkeypatch.setattr(services, "REDIS_PORT", server.getsockname()[1])
        services.require_redis()
        assert services.redis_url() == f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_missing_browser_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AJAXKIT_REQUIRE_SERVICES", "1")
    monkeypatch.setattr(services, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium"):
        services.require_browser()
