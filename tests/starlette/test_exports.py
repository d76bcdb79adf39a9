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
        "app",
        "mount",
    ]
    assert all(hasattr(ajaxkit.starlette, name) for name in ajaxkit.starlette.__all__)


def test_fastapi_reuses_the_starlette_app() -> None:
    assert ajaxkit.fastapi.__all__ == ["AjaxApp", "AjaxMount", "app", "include_in_openapi", "mount"]
    assert ajaxkit.fastapi.app is ajaxkit.starlette.app
    # FastAPI's mount is Starlette's plus the optional app=... for /docs.
    assert ajaxkit.fastapi.AjaxMount is ajaxkit.starlette.AjaxMount
