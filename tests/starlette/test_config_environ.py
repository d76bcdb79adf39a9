"""``config=os.environ`` on Starlette and FastAPI: every value is a string.

An environment (or a dict read from a ``.env`` file) is how such apps are
commonly configured, so its strings are read by their spelling: ``DEBUG=0``
keeps tracebacks out of error answers (``bool("0")`` used to turn them on),
``AJAXKIT_MAX_BODY_SIZE=40`` is a number, and the CSRF origins are a
comma-separated list.  A value of another spelling fails the mount naming
the variable and the value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from starlette.testclient import TestClient

import ajaxkit.fastapi
import ajaxkit.starlette
from ajaxkit import Ajax, ConfigurationError
from ajaxkit.core.config import CONFIG_SETTINGS

Mounting = Callable[[Ajax, Mapping[str, Any]], Any]

mountings = pytest.mark.parametrize(
    "mounting",
    [
        pytest.param(
            lambda api, c: ajaxkit.starlette.app(api, config=c),
            id="starlette",
            marks=pytest.mark.starlette,
        ),
        pytest.param(
            lambda api, c: ajaxkit.fastapi.app(api, config=c),
            id="fastapi",
            marks=pytest.mark.fastapi,
        ),
    ],
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[os._Environ[str]]:
    """This process's environment without any name ajaxkit reads, for the test to set."""
    for key in list(os.environ):
        upper = key.upper()
        if upper.startswith("AJAXKIT") or upper in CONFIG_SETTINGS or upper in ("DEBUG",):
            monkeypatch.delenv(key)
    yield os.environ


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint
    def boom() -> None:
        raise RuntimeError("kaboom")

    @api.endpoint(methods=["POST"], csrf_exempt=True)
    def echo(text: str) -> str:
        return text

    return api


@mountings
@pytest.mark.parametrize("value", ["0", "false", "False"])
def test_debug_0_keeps_tracebacks_out(
    mounting: Mounting, environ: os._Environ[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DEBUG", value)
    api = _api()
    with TestClient(mounting(api, environ)) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert "exception" not in answer.json()
    assert "kaboom" not in answer.text


@mountings
def test_debug_1_shows_them(
    mounting: Mounting, environ: os._Environ[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBUG", "1")
    with TestClient(mounting(_api(), environ)) as client:
        assert client.get("/boom").json()["exception"]["message"] == "kaboom"


@mountings
def test_well_formed_strings_configure(
    mounting: Mounting, environ: os._Environ[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AJAXKIT_MAX_BODY_SIZE", "40")
    monkeypatch.setenv("AJAXKIT_CSRF_TRUSTED_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("AJAXKIT_OPENAPI", "FALSE")
    monkeypatch.setenv("AJAXKIT_IDEMPOTENCY_EXPIRY", "600")
    api = _api()
    with TestClient(mounting(api, environ)) as client:
        assert client.post("/echo", json={"text": "x" * 10}).status_code == 200
        assert client.post("/echo", json={"text": "x" * 40}).status_code == 413
        assert client.get("/_openapi.json").status_code == 404
    assert api.settings.csrf.trusted_origins == ("https://a.example", "https://b.example")
    assert api.settings.idempotency_expiry == 600.0


@mountings
@pytest.mark.parametrize(
    ("key", "value"),
    [("DEBUG", "yes"), ("AJAXKIT_DEBUG", "on"), ("AJAXKIT_MAX_BODY_SIZE", "1MB")],
)
def test_a_badly_spelt_value_fails_the_mount_naming_it(
    mounting: Mounting,
    environ: os._Environ[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    value: str,
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError) as info:
        mounting(_api(), environ)
    assert str(info.value).startswith(f"{key} must be")
    assert repr(value) in str(info.value)
