"""Run the demo (``python -m examples.demo``) for real, on an ephemeral port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_URL_LINE = re.compile(rb"Demo running at (http://\S+)")


@contextmanager
def running_demo(
    workdir: Path, timeout: float = 30.0, port: int = 0, args: Sequence[str] = ()
) -> Iterator[str]:
    """Start the demo with its database and log in ``workdir``; yield its URL.

    ``args`` are more command-line options (``--redis URL``); with
    ``--database-url`` among them, no SQLite file is made.

    The server's output goes to ``workdir / "demo.log"`` (a file, not a pipe
    nobody drains, which would stall the server once full).
    """
    log = workdir / f"demo-{port}.log" if port else workdir / "demo.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "examples.demo", "--port", str(port)]
    if "--database-url" not in args:
        command += ["--database", str(demo_database(workdir))]
    command += ["--log-level", "warning", *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        yield _wait_for_url(process, log, timeout)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def demo_database(workdir: Path) -> Path:
    """The SQLite file of the demo started in ``workdir``."""
    return workdir / "users.sqlite3"


def _wait_for_url(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _URL_LINE.search(log.read_bytes())
        if found:
            return found.group(1).decode()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    output = log.read_text(errors="replace")
    raise RuntimeError(f"the demo did not print its URL (exit {process.poll()}):\n{output}")
