"""The JS dev tools locked in ``js/`` (TypeScript, esbuild), installed on first use.

``npm ci --prefix js`` installs the locked versions into ``js/node_modules``
the first time, and again whenever ``js/package-lock.json`` changes (a stamp
file holds the lock file's hash).  Without node/npm the callers skip, or fail
under ``AJAXKIT_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
from pathlib import Path

from tests.services import require_node

ROOT = Path(__file__).resolve().parent.parent
JS_DEV = ROOT / "js"
NODE_MODULES = JS_DEV / "node_modules"
STAMP = NODE_MODULES / ".ajaxkit-lock"


def js_dev_tools() -> Path:
    """``js/node_modules``, as the lock file says; skip (or fail) without node and npm."""
    _, npm = require_node()
    with (JS_DEV / "package-lock.json").open("rb") as lock_file:
        # The suite's processes (pytest -n) may get here at once: one installs,
        # the others wait for it, rather than two `npm ci` emptying each other's tree.
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        lock = hashlib.sha256(lock_file.read()).hexdigest()
        if not STAMP.exists() or STAMP.read_text() != lock:
            _npm_ci(npm)
            STAMP.write_text(lock)
    return NODE_MODULES


def _npm_ci(npm: str) -> None:
    done = subprocess.run(
        [npm, "ci", "--prefix", str(JS_DEV), "--no-audit", "--no-fund"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
