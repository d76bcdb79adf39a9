"""The service guards: skip locally, fail under AJAXKIT_REQUIRE_SERVICES=1."""

from __future__ import annotations

import re
import socket

import pytest

from tests import services

CLOSED = "redis://127.0.0.1:1/0"  # port 1: nothing listens there


def test_missing_service_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AJAXKIT_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match=re.escape("127.0.0.1:1")):
        services._require_listening(CLOSED, 6379)


def test_missing_service_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AJAXKIT_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="required"):
        services._require_listening(CLOSED, 6379)


def test_listening_service_gives_its_url() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"postgresql://postgres@127.0.0.1:{server.getsockname()[1]}/test"
        assert services._require_listening(url, 5432) == url


def test_missing_browser_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AJAXKIT_REQUIRE_SERVICES", "1")
    monkeypatch.setattr(services, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium"):
        services.require_browser()
