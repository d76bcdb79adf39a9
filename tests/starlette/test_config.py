"""``config=`` on Starlette and FastAPI: a bare ajaxkit setting name is an error.

Starlette has no settings object, so ``config=`` is a mapping given to
ajaxkit alone, with the names Django settings and Flask's ``app.config``
use.  ``{"MAX_BODY_SIZE": 10}`` used to be ignored without a word (only
``AJAXKIT_MAX_BODY_SIZE`` is read), leaving the limit at its default.  The
mapping may also be an environment-like one holding other names, so only
a name that is an ajaxkit setting's is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import ajaxkit.fastapi
import ajaxkit.starlette
from ajaxkit import Ajax, ConfigurationError

Mounting = Callable[[Ajax, Mapping[str, Any]], Any]

MOUNTINGS: dict[str, tuple[Mounting, str]] = {
    "starlette.app": (lambda api, c: ajaxkit.starlette.app(api, config=c), "starlette"),
    "starlette.mount": (lambda api, c: ajaxkit.starlette.mount("/a", api, config=c), "starlette"),
    "starlette.front": (
        lambda api, c: ajaxkit.starlette.front(api, Starlette(), config=c),
        "starlette",
    ),
    "fastapi.app": (lambda api, c: ajaxkit.fastapi.app(api, config=c), "fastapi"),
    "fastapi.mount": (lambda api, c: ajaxkit.fastapi.mount("/a", api, config=c), "fastapi"),
    "fastapi.front": (lambda api, c: ajaxkit.fastapi.front(api, Starlette(), config=c), "fastapi"),
}

mountings = pytest.mark.parametrize(
    "mounting",
    [
        pytest.param(mount, id=name, marks=getattr(pytest.mark, framework))
        for name, (mount, framework) in MOUNTINGS.items()
    ],
)


@mountings
@pytest.mark.parametrize("key", ["MAX_BODY_SIZE", "LOGIN_URL", "CSRF_TRUSTED_ORIGINS"])
def test_a_bare_setting_name_says_to_prefix_it(mounting: Mounting, key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        mounting(Ajax(), {key: 10})
    message = str(info.value)
    assert f"config[{key!r}]" in message
    assert f"AJAXKIT_{key}" in message


@mountings
@pytest.mark.parametrize(
    ("key", "wanted"),
    [
        ("max_body_size", "AJAXKIT_MAX_BODY_SIZE"),
        ("debug", "AJAXKIT_DEBUG"),
        ("ajaxkit_debug", "AJAXKIT_DEBUG"),
        ("encoder", "Ajax(encoder=...)"),
    ],
)
def test_a_settings_name_in_another_spelling_says_which_to_write(
    mounting: Mounting, key: str, wanted: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        mounting(Ajax(), {key: True})
    assert f"config[{key!r}]" in str(info.value)
    assert wanted in str(info.value)


@mountings
def test_an_unknown_prefixed_name_is_an_error(mounting: Mounting) -> None:
    with pytest.raises(ConfigurationError, match="AJAXKIT_MAX_BODYSIZE is not an ajaxkit setting"):
        mounting(Ajax(), {"AJAXKIT_MAX_BODYSIZE": 10})


@mountings
def test_the_frameworks_own_names_and_unrelated_ones_are_allowed(mounting: Mounting) -> None:
    api = Ajax()
    environ_like = {
        "DEBUG": True,
        "SECRET_KEY": "s3cret",
        "PATH": "/usr/bin",
        "DATABASE_URL": "sqlite://",
        "AJAXKITCHEN": "1",
        "AJAXKIT_MAX_BODY_SIZE": 10,
    }
    mounting(api, environ_like)
    assert (api.settings.debug, api.settings.max_body_size) == (True, 10)
    assert api.settings.secret_key == "s3cret"


@pytest.mark.starlette
def test_the_prefixed_name_is_what_takes_effect() -> None:
    api = Ajax()

    @api.endpoint(methods=["POST"], csrf_exempt=True)
    def echo(text: str) -> str:
        return text

    app = ajaxkit.starlette.app(api, config={"AJAXKIT_MAX_BODY_SIZE": 10})
    answer = TestClient(app).post("/echo", json={"text": "longer than ten bytes"})
    assert answer.status_code == 413
