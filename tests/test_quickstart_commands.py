"""Each quickstart runs with the command its docstring gives, as a newcomer would.

The command is run from the repository root with the virtualenv's ``bin``
first on ``PATH`` (what ``source .venv/bin/activate`` does), on a free port,
and answers one request.  The docstring must still say exactly that command.
(The FastAPI quickstart's command is the Starlette one's, with the same
server; tests/test_example_fastapi.py runs its app in-process.)
"""

from __future__ import annotations

import ast
import os
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Quickstart:
    """An example file, the command its docstring documents and how to pick a port."""

    path: str
    command: str
    port_args: tuple[str, ...]  # ``{port}`` is replaced

    def argv(self, port: int) -> list[str]:
        words = shlex.split(self.command)
        if words[0] == "python":
            words[0] = sys.executable
        return words + [arg.format(port=port) for arg in self.port_args]


QUICKSTARTS = [
    pytest.param(
        Quickstart(
            "examples/flask_quickstart/app.py",
            "flask --app examples/flask_quickstart/app run",
            ("--port", "{port}"),
        ),
        marks=pytest.mark.flask,
        id="flask",
    ),
    pytest.param(
        Quickstart(
            "examples/starlette_quickstart/app.py",
            "uvicorn examples.starlette_quickstart.app:app",
            ("--port", "{port}"),
        ),
        marks=pytest.mark.starlette,
        id="starlette",
    ),
    pytest.param(
        Quickstart(
            "examples/django_quickstart/app.py",
            "python examples/django_quickstart/app.py runserver",
            ("--noreload", "127.0.0.1:{port}"),
        ),
        marks=pytest.mark.django,
        id="django",
    ),
]


def docstring(path: str) -> str:
    return ast.get_docstring(ast.parse((ROOT / path).read_text(encoding="utf-8"))) or ""


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def first_answer(url: str, server: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            pytest.fail(f"the server exited with {server.returncode}:\n{output}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} within {timeout}s")


@pytest.mark.slow
@pytest.mark.parametrize("quickstart", QUICKSTARTS)
def test_quickstart_runs_with_its_documented_command(quickstart: Quickstart) -> None:
    assert f"``{quickstart.command}``" in docstring(quickstart.path) or (
        f"    {quickstart.command}\n" in docstring(quickstart.path) + "\n"
    ), f"{quickstart.path} no longer documents {quickstart.command!r}"
    port = free_port()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen(
        quickstart.argv(port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = first_answer(f"http://127.0.0.1:{port}/ajax/hello", server)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, World!"}
