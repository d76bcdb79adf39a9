"""The benchmarked servers: how each is started, and the running processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.harness.loads import LOADS

#: The repository root: the servers' working directory.
ROOT = Path(__file__).resolve().parents[2]
SERVER_CPU, LOAD_CPU = 0, 1
SIDES = ("raw", "ajax")
#: The side serving the raw views with the peers installed (:mod:`bench.peers`).
PEER = "peer"
REDIS = ("127.0.0.1", 6379)
REDIS_URI = f"redis://{REDIS[0]}:{REDIS[1]}/0"


@dataclass(frozen=True)
class ServerSpec:
    """How to start one benchmarked server."""

    name: str
    framework: str
    kind: str  # "gunicorn" or "uvicorn"
    target: str
    #: Extra environment for the server (how ajaxkit is mounted).
    env: tuple[tuple[str, str], ...] = ()
    #: Whether its peers are measured on it.  Not on the ``front`` servers: their
    #: raw views (and so their peer side) are the plain server's.
    peers: bool = True

    def argv(self, port: int) -> list[str]:
        if self.kind == "gunicorn":
            return [
                sys.executable, "-m", "gunicorn",
                "--workers", "1", "--worker-class", "sync",
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                self.target,
            ]  # fmt: skip
        # Django's ASGI handler has no lifespan support.
        lifespan = "off" if self.framework == "django" else "on"
        return [
            sys.executable, "-m", "uvicorn",
            "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--lifespan", lifespan,
            "--no-access-log", "--log-level", "warning",
            self.target,
        ]  # fmt: skip


SERVERS = {
    spec.name: spec
    for spec in (
        ServerSpec("django-wsgi", "django", "gunicorn", "bench.apps.django_wsgi:application"),
        ServerSpec("django-asgi", "django", "uvicorn", "bench.apps.django_asgi:application"),
        ServerSpec("flask", "flask", "gunicorn", "bench.apps.flask_app:app"),
        ServerSpec("starlette", "starlette", "uvicorn", "bench.apps.starlette_app:app"),
        ServerSpec(
            "starlette-front",
            "starlette",
            "uvicorn",
            "bench.apps.starlette_app:app",
            (("BENCH_MOUNT", "front"),),
            peers=False,
        ),
        ServerSpec("fastapi", "fastapi", "uvicorn", "bench.apps.fastapi_app:app"),
        ServerSpec(
            "fastapi-front",
            "fastapi",
            "uvicorn",
            "bench.apps.fastapi_app:app",
            (("BENCH_MOUNT", "front"),),
            peers=False,
        ),
    )
}

#: Each server again with its rate-limit counters in Redis (``limits-redis``).
REDIS_SERVERS = {
    f"{name}+redis": replace(
        spec, name=f"{name}+redis", env=(*spec.env, ("BENCH_RATE_STORAGE", REDIS_URI))
    )
    for name, spec in SERVERS.items()
}
ALL_SERVERS = {**SERVERS, **REDIS_SERVERS}


@dataclass
class Server:
    """A running server process (the leader of its own process group) serving one side."""

    spec: ServerSpec
    side: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    info: dict[str, Any] = field(default_factory=dict)

    def url(self, endpoint: str) -> str:
        return f"http://127.0.0.1:{self.port}/{self.side}/{LOADS[endpoint].path}"

    @property
    def counts_in_redis(self) -> bool:
        return any(name == "BENCH_RATE_STORAGE" for name, _ in self.spec.env)

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int, argv: list[str], pin: bool) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if pin else argv


def start_server(spec: ServerSpec, side: str, env: dict[str, str], logs: Path, pin: bool) -> Server:
    port = free_port()
    log = logs / f"{spec.name}-{side}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(SERVER_CPU, spec.argv(port), pin),
            cwd=ROOT,
            env={**env, **dict(spec.env), "BENCH_SIDE": side},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
    return Server(spec, side, port, process, log)


def stop_server(server: Server) -> None:
    """Stop the server's whole process group (TERM, then KILL)."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        except ProcessLookupError:
            pass
    # A gunicorn worker outliving its master would keep the group alive.
    with suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)


Plan = list[tuple[ServerSpec, tuple[str, ...]]]  # each server and the sides it is started for


@contextmanager
def running(plan: Plan, env: dict[str, str], pin: bool) -> Iterator[list[Server]]:
    """Start every planned server side; whatever happens, stop every one of them at the end."""
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="ajaxkit-bench-") as logs:
        try:
            for spec, sides in plan:
                for side in sides:
                    servers.append(start_server(spec, side, env, Path(logs), pin))
            yield servers
        finally:
            for server in servers:
                stop_server(server)


Servers = dict[tuple[str, str], Server]  # (server name, side) -> server
