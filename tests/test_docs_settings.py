"""docs/settings.md is complete and its examples are the files run here."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from ajaxkit import Ajax, Settings
from ajaxkit.core.config import CONFIG_SETTINGS
from tests.test_readme import Block, expected_code, python_blocks

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
MIB_10 = 10 * 1024 * 1024


@pytest.mark.parametrize("block", python_blocks(PAGE), ids=lambda b: f"settings.md:{b.line}")
def test_every_block_is_an_example_file(block: Block) -> None:
    assert block.path, "mark the block with <!-- example: path -->"
    assert block.code == expected_code(block)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_settings_field_has_a_row(name: str) -> None:
    assert f"\n| `{name}` |" in PAGE


@pytest.mark.parametrize("name", sorted(CONFIG_SETTINGS))
def test_every_configurable_setting_names_both_spellings(name: str) -> None:
    assert f'`AJAXKIT["{name}"]`' in PAGE
    assert f"`AJAXKIT_{name}`" in PAGE


@pytest.mark.django
def test_django_example_settings() -> None:
    from django.test.utils import override_settings

    import ajaxkit.django

    module = importlib.import_module("examples.settings.django_settings")
    api = Ajax()
    with override_settings(DEBUG=module.DEBUG, AJAXKIT=module.AJAXKIT):
        ajaxkit.django.urls(api)
        resolved = api.settings
    assert (resolved.debug, resolved.max_body_size) == (False, MIB_10)
    assert resolved.default_methods == ("GET", "POST")


@pytest.mark.flask
def test_flask_example_config_beats_code() -> None:
    module = importlib.import_module("examples.settings.flask_app")
    assert (module.api.settings.debug, module.api.settings.max_body_size) == (False, MIB_10)
    assert module.app.test_client().get("/ajax/ping").get_json() == {"pong": True}


@pytest.mark.starlette
def test_starlette_example_mapping() -> None:
    from starlette.testclient import TestClient

    module = importlib.import_module("examples.settings.starlette_app")
    assert module.api.settings.max_body_size == MIB_10
    with TestClient(module.app) as client:
        assert client.get("/ajax/ping").json() == {"pong": True}
