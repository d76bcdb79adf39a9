"""The browser tests' shared Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.services import require_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope, not session: Playwright's sync API keeps an event loop
# running in the main thread while it is open, and Django then refuses
# database calls in every later test ("cannot call this from an async context").
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def artifacts_dir() -> Path:
    """Where screenshots go: ``$AJAXKIT_ARTIFACTS``, else ``test-artifacts/`` (gitignored).

    A stable place rather than pytest's temporary directories, so that CI can
    keep them and a person can look at what the browser saw.
    """
    return Path(os.environ.get("AJAXKIT_ARTIFACTS") or ROOT / "test-artifacts") / "browser"


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A directory of screenshots for this test, emptied of an earlier run's."""
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    path = artifacts_dir() / f"{request.node.module.__name__.rsplit('.', 1)[-1]}-{name}"
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.png"):
        old.unlink()
    return path
