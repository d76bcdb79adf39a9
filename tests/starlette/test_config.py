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
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.config import Config
from starlette.testclient import TestClient

import ajaxkit.fastapi
import ajaxkit.starlette
from ajaxkit import Ajax, ConfigurationError
from ajaxkit.signing import ItsdangerousSigner

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


@mountings
def test_starlettes_own_config_is_read_as_it_reads_a_name(
    mounting: Mounting, tmp_path: Path
) -> None:
    # config=Config(".env"), Starlette's own way to configure an app, was
    # a TypeError ("'Config' object is not iterable") from inside the mount.
    env_file = tmp_path / ".env"
    env_file.write_text("AJAXKIT_MAX_BODY_SIZE=10\nAJAXKIT_DEBUG=false\n")
    api = Ajax()
    config = Config(env_file, environ={"AJAXKIT_DEBUG": "true", "PATH": "/usr/bin"})
    mounting(api, config)  # type: ignore[arg-type]
    # The environment beats the file, as Config's own lookups have it.
    assert (api.settings.max_body_size, api.settings.debug) == (10, True)


@mountings
def test_a_config_prefix_is_read_as_starlette_reads_it(mounting: Mounting) -> None:
    api = Ajax()
    environ = {"APP_AJAXKIT_MAX_BODY_SIZE": "7", "AJAXKIT_MAX_BODY_SIZE": "9", "APP_X": "1"}
    mounting(api, Config(environ=environ, env_prefix="APP_"))  # type: ignore[arg-type]
    assert api.settings.max_body_size == 7


@mountings
@pytest.mark.parametrize("config", [[("AJAXKIT_DEBUG", True)], "AJAXKIT_DEBUG=1"], ids=repr)
def test_a_config_that_is_no_mapping_is_a_configuration_error(
    mounting: Mounting, config: Any
) -> None:
    # A list of pairs was an AttributeError about .get, from inside the core.
    with pytest.raises(ConfigurationError, match=r"config must be a mapping .*, not a"):
        mounting(Ajax(), config)


@mountings
def test_mounting_again_starts_from_the_code_not_the_last_configuration(
    mounting: Mounting,
) -> None:
    # The mount wrote the CSRF policy it had resolved back as the code's
    # own, so mounting the registry under another configuration (the next
    # app of a factory) kept the first one's trusted origins and signing key.
    api = Ajax()
    mounting(api, {"AJAXKIT_CSRF_TRUSTED_ORIGINS": "https://a.example", "SECRET_KEY": "one"})
    mounting(api, {"SECRET_KEY": "two"})
    policy = api.settings.csrf
    assert policy.trusted_origins == ()
    assert policy.signer is not None
    assert ItsdangerousSigner("two").unsign(policy.signer.sign("token")) == "token"
    mounting(api, {})  # Ajax() declared nothing: the first mount's config is gone too
    assert api.settings.csrf.trusted_origins == ()
    assert api.settings.secret_key is None


@pytest.mark.starlette
def test_the_prefixed_name_is_what_takes_effect() -> None:
    api = Ajax()

    @api.endpoint(methods=["POST"], csrf_exempt=True)
    def echo(text: str) -> str:
        return text

    app = ajaxkit.starlette.app(api, config={"AJAXKIT_MAX_BODY_SIZE": 10})
    answer = TestClient(app).post("/echo", json={"text": "longer than ten bytes"})
    assert answer.status_code == 413
