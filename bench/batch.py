"""20 calls in one batch vs 20 separate requests, as a browser would send them.

Each side runs against a real server on 127.0.0.1 (uvicorn; Starlette, and
Django under ASGI) serving the same small endpoint.  The separate requests
go out at once over at most 6 connections (what a browser allows per host
over HTTP/1.1); the batch is one POST.  Prints the median wall time of each
over several rounds and their ratio.

    .venv/bin/python -m bench.batch [--rounds 30] [--calls 20]

With ``--in-process`` no server and no socket: the same apps' ASGI callables
are called with a batch request carrying the headers Chromium sends with a
same-origin ``fetch`` (a dozen and more), and the script prints the CPU µs
per batch (process time), which is what the server side of a batch costs.  ``--profile``
adds cProfile's top functions (cumulative) for each app.

    .venv/bin/python -m bench.batch --in-process [--calls 20] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


#: What Chromium sends with a same-origin ``fetch`` POST of JSON (a session
#: cookie included): the headers every item of a browser's batch derives from.
BROWSER_HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"connection", b"keep-alive"),
    (b"sec-ch-ua-platform", b'"Linux"'),
    (
        b"user-agent",
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        b"Chrome/136.0.0.0 Safari/537.36",
    ),
    (b"sec-ch-ua", b'"Chromium";v="136", "Not.A/Brand";v="99"'),
    (b"content-type", b"application/json"),
    (b"sec-ch-ua-mobile", b"?0"),
    (b"accept", b"*/*"),
    (b"origin", b"http://127.0.0.1:8000"),
    (b"sec-fetch-site", b"same-origin"),
    (b"sec-fetch-mode", b"cors"),
    (b"sec-fetch-dest", b"empty"),
    (b"referer", b"http://127.0.0.1:8000/"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"cookie", b"sessionid=abc123; theme=dark"),
]


async def _asgi_batch(app: Any, body: bytes) -> bytes:
    """One batch through ``app``'s ASGI callable, as a server would drive it; its body."""
    headers = [*BROWSER_HEADERS, (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ajax/_batch",
        "raw_path": b"/ajax/_batch",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    never = asyncio.get_running_loop().create_future()  # no disconnect: answered first
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else await never

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    never.cancel()
    assert sent[0]["status"] == 200, sent
    return b"".join(m.get("body", b"") for m in sent[1:])


async def in_process(app: Any, calls: int, batches: int) -> float:
    """Median CPU µs per batch of ``calls`` items (checked), over a few runs of ``batches``."""
    items = [{"path": "item", "params": {"n": i}} for i in range(calls)]
    body = json.dumps({"items": items}).encode()
    answer = json.loads(await _asgi_batch(app, body))
    assert [i["body"]["n"] for i in answer["items"]] == list(range(calls)), answer
    runs = []
    for _ in range(7):
        # CPU time: on a shared machine, other tenants' share of the cores is not ours.
        began = time.process_time()
        for _ in range(batches):
            await _asgi_batch(app, body)
        runs.append((time.process_time() - began) / batches)
    return statistics.median(runs) * 1e6


def _profile(app: Any, calls: int, batches: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(in_process(app, calls, batches))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main_in_process(calls: int, batches: int, profile: bool) -> None:
    """Print µs per batch for each app, called in this process."""
    from bench import batch_apps

    print(f"{'server':<12} {'CPU µs/batch':>13} {'CPU µs/item':>12}")
    for name, target in APPS.items():
        app = getattr(batch_apps, target.partition(":")[2])
        per_batch = asyncio.run(in_process(app, calls, batches))
        print(f"{name:<12} {per_batch:>13.0f} {per_batch / calls:>12.1f}")
        if profile:
            _profile(app, calls, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--in-process", action="store_true", help="no server: µs per batch")
    parser.add_argument("--batches", type=int, default=200, help="per timed run, --in-process")
    parser.add_argument("--profile", action="store_true", help="cProfile too, --in-process")
    args = parser.parse_args()
    if args.in_process:
        main_in_process(args.calls, args.batches, args.profile)
        return
    print(f"{'server':<12} {'separate ms':>12} {'batch ms':>10} {'ratio':>7}")
    for name, target in APPS.items():
        with serving(target) as base:
            separate, batched = asyncio.run(measure(base, args.rounds, args.calls))
            ratio = separate / batched
            print(f"{name:<12} {separate * 1e3:>12.2f} {batched * 1e3:>10.2f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
