"""Exactness under real concurrency: real uvicorn servers, real Redis, a real database.

- 4 server processes sharing Redis take 1,000 concurrent GETs against
  ``100/minute``: exactly 100 succeed, and the ``RateLimit`` remaining counts
  of the successes are 99..0, each once.
- 50 concurrent POSTs with one ``Idempotency-Key`` insert exactly one row;
  every caller ends with the same body (the first unmarked, the others
  ``Idempotent-Replayed: true``).  Callers that arrive while the first runs
  get 409 and retry, as a client should.  Once on 4 processes sharing Redis,
  once on one process with the in-memory store and a thread per request.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ajaxkit.starlette import app as starlette_app
from tests.services import redis_url, require_redis
from tests.stores.server_app import build, create_table

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
REQUESTS = 1000
CALLERS = 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"no server on port {port}")


@contextlib.contextmanager
def servers(env: dict[str, str]) -> Iterator[list[str]]:
    """``PROCESSES`` uvicorn processes serving ``server_app``; yields their base URLs."""
    ports = [_free_port() for _ in range(PROCESSES)]
    full_env = {**os.environ, **env, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    # Keep-alive longer than uvicorn's 5 s: on a loaded machine a pooled
    # connection can sit idle that long, and a server closing it just as the
    # client reuses it reads as "disconnected without a response".
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", "tests.stores.server_app:from_env"),
        *("--timeout-keep-alive", "60"),
    ]
    processes = [
        subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=full_env,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes):
            _wait_listening(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
            if process.stderr:
                process.stderr.close()


@contextlib.contextmanager
def thread_server(db: str) -> Iterator[str]:
    """The app on one in-process uvicorn (in-memory stores); yields its base URL."""
    api = build(db, None, "", time.time())
    config = uvicorn.Config(
        starlette_app(api), host="127.0.0.1", port=0, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    require_redis()
    import redis

    prefix = f"test:{uuid.uuid4()}:"
    yield prefix
    client = redis.Redis.from_url(redis_url())
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "orders.sqlite3")
    create_table(path)
    return path


def _env(db: str, prefix: str) -> dict[str, str]:
    return {
        "LIMITS_DB": db,
        "LIMITS_REDIS_URL": redis_url(),
        "LIMITS_PREFIX": prefix,
        "LIMITS_CLOCK_ORIGIN": repr(time.time()),
    }


def _get_all(urls: list[str]) -> list[httpx.Response]:
    pool_limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    with httpx.Client(timeout=30, limits=pool_limits) as client, ThreadPoolExecutor(32) as pool:
        urls_cycle = [f"{urls[n % len(urls)]}/limited" for n in range(REQUESTS)]
        return list(pool.map(client.get, urls_cycle))


@pytest.mark.slow
@pytest.mark.redis
def test_exactly_the_limit_succeeds_across_processes(db: str, redis_prefix: str) -> None:
    with servers(_env(db, redis_prefix)) as urls:
        responses = _get_all(urls)
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 100
    assert statuses.count(429) == REQUESTS - 100
    remaining = [
        int(re.search(r";r=(\d+)", r.headers["ratelimit"]).group(1))  # type: ignore[union-attr]
        for r in responses
        if r.status_code == 200
    ]
    assert sorted(remaining) == list(range(100))  # each value once
    refused = {r.headers["ratelimit"].split(";t=")[0] for r in responses if r.status_code == 429}
    assert refused == {'"100/minute";r=0'}
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)


def _post_until_answered(url: str, key: str) -> httpx.Response:
    """POST, retrying while the first request is in flight (409), as a client should."""
    with httpx.Client(timeout=30) as client:
        for _ in range(200):
            response = client.post(
                f"{url}/orders",
                json={"item": "book"},
                # A page's own fetch(), as a browser marks it: the CSRF policy admits it.
                headers={"Idempotency-Key": key, "Sec-Fetch-Site": "same-origin"},
            )
            if response.status_code != 409:
                return response
            assert response.json()["code"] == "idempotency_in_flight"
            time.sleep(0.05)
    raise AssertionError("still in flight after 200 tries")


def _post_concurrently(urls: list[str]) -> list[httpx.Response]:
    key = f'"{uuid.uuid4()}"'
    start = threading.Barrier(CALLERS)

    def call(n: int) -> httpx.Response:
        start.wait()
        return _post_until_answered(urls[n % len(urls)], key)

    with ThreadPoolExecutor(CALLERS) as pool:
        return list(pool.map(call, range(CALLERS)))


def _assert_one_effect(responses: list[httpx.Response], db: str) -> None:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id, item FROM orders").fetchall()
    assert rows == [(1, "book")]
    assert {r.status_code for r in responses} == {201}
    bodies: set[Any] = {r.content for r in responses}
    assert len(bodies) == 1
    fresh = [r for r in responses if "idempotent-replayed" not in r.headers]
    assert len(fresh) == 1
    assert all(r.headers["idempotent-replayed"] == "true" for r in responses if r not in fresh)


@pytest.mark.slow
@pytest.mark.redis
def test_one_key_one_row_across_processes(db: str, redis_prefix: str) -> None:
    with servers(_env(db, redis_prefix)) as urls:
        responses = _post_concurrently(urls)
    _assert_one_effect(responses, db)


@pytest.mark.slow
def test_one_key_one_row_in_memory_with_threads(db: str) -> None:
    with thread_server(db) as url:
        responses = _post_concurrently([url])
    _assert_one_effect(responses, db)
