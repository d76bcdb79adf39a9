"""The Starlette and FastAPI packages export what they document."""

from __future__ import annotations

import pytest

import ajaxkit.fastapi
import ajaxkit.starlette

pytestmark = pytest.mark.starlette


def test_starlette_exports() -> None:
    assert ajaxkit.starlette.__all__ == [
        "STARLETTE_PLATFORM",
        "AjaxApp",
        "AjaxMount",
        "FrontApp",
        "app",
        "csrf_token",
        "front",
        "mount",
    ]
    assert all(hasattr(ajaxkit.starlette, name) for name in ajaxkit.starlette.__all__)


def test_fastapi_extends_the_starlette_app() -> None:
    assert ajaxkit.fastapi.__all__ == [
        "FASTAPI_PLATFORM",
        "AjaxApp",
        "AjaxMount",
        "FrontApp",
        "app",
        "csrf_token",
        "front",
        "include_in_openapi",
        "mount",
    ]
    assert issubclass(ajaxkit.fastapi.AjaxApp, ajaxkit.starlette.AjaxApp)
    assert ajaxkit.fastapi.AjaxMount is ajaxkit.starlette.AjaxMount
    assert ajaxkit.fastapi.FrontApp is ajaxkit.starlette.FrontApp
    assert ajaxkit.fastapi.csrf_token is ajaxkit.starlette.csrf_token
