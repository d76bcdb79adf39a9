"""20 calls in one batch vs 20 separate requests, as a browser would send them.

Each side runs against a real server on 127.0.0.1 (uvicorn; Starlette, and
Django under ASGI) serving the same small endpoint.  The separate requests
go out at once over at most 6 connections (what a browser allows per host
over HTTP/1.1); the batch is one POST.  Prints the median wall time of each
over several rounds and their ratio.

    .venv/bin/python -m bench.batch [--rounds 30] [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APPS = {
    "starlette": "bench.batch_apps:starlette_app",
    "django-asgi": "bench.batch_apps:django_app",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _separate(client: httpx.AsyncClient, base: str, calls: int) -> float:
    began = time.perf_counter()
    answers = await asyncio.gather(
        *(client.get(f"{base}/ajax/item", params={"n": i}) for i in range(calls))
    )
    assert all(a.status_code == 200 for a in answers)
    return time.perf_counter() - began


async def _batched(client: httpx.AsyncClient, base: str, calls: int) -> float:
    items = [{"path": "item", "params": {"n": i}} for i in range(calls)]
    began = time.perf_counter()
    answer = await client.post(f"{base}/ajax/_batch", json={"items": items})
    assert answer.status_code == 200
    assert [i["status"] for i in answer.json()["items"]] == [200] * calls
    return time.perf_counter() - began


async def measure(base: str, rounds: int, calls: int) -> tuple[float, float]:
    limits = httpx.Limits(max_connections=6, max_keepalive_connections=6)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await _separate(client, base, calls)  # warm up connections and code
        await _batched(client, base, calls)
        separate, batched = [], []
        for _ in range(rounds):
            separate.append(await _separate(client, base, calls))
            batched.append(await _batched(client, base, calls))
    return statistics.median(separate), statistics.median(batched)


@contextmanager
def serving(target: str) -> Iterator[str]:
    """Serve the app ``target`` (module:attribute) under uvicorn; yield its base URL."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "uvicorn", target, "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/ajax/item", params={"n": 0})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    print(f"{'server':<12} {'separate ms':>12} {'batch ms':>10} {'ratio':>7}")
    for name, target in APPS.items():
        with serving(target) as base:
            separate, batched = asyncio.run(measure(base, args.rounds, args.calls))
            ratio = separate / batched
            print(f"{name:<12} {separate * 1e3:>12.2f} {batched * 1e3:>10.2f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
