"""ajaxkit.js's own checks, run from the Python suite: Node's test runner and tsc.

TypeScript is a dev tool only, installed from ``js/`` by ``tests.js_dev``.
Without node/npm the tests skip, or fail under ``AJAXKIT_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.js_dev import js_dev_tools
from tests.services import require_node

ROOT = Path(__file__).resolve().parent.parent
JS_DEV = ROOT / "js"


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def node() -> str:
    node, _ = require_node()
    return node


@pytest.fixture(scope="module")
def tsc(node: str) -> Path:
    """The locked TypeScript compiler, installed on first use."""
    return js_dev_tools() / "typescript" / "bin" / "tsc"


def test_node_unit_tests_pass(node: str) -> None:
    done = _run([node, "--test", "tests/js/"], 120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_jsdoc_types_check(node: str, tsc: Path) -> None:
    done = _run([node, str(tsc), "-p", str(JS_DEV / "tsconfig.json")], 120)
    assert done.returncode == 0, done.stdout + done.stderr
