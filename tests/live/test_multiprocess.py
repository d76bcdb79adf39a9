"""No loss across processes: real uvicorn workers sharing real Redis, a worker killed mid-stream."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from ajaxkit.live.redis import RedisBroker
from tests.live.sse_client import Received, read_stream
from tests.services import redis_url, require_redis

pytestmark = [pytest.mark.redis, pytest.mark.starlette]

ROOT = Path(__file__).resolve().parents[2]
UVICORN = (sys.executable, "-m", "uvicorn", "tests.live.sse_app:app")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _workers(
    count: int, namespace: str, log_dir: Path
) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "AJAXKIT_LIVE_REDIS": redis_url(),
        "AJAXKIT_LIVE_NAMESPACE": namespace,
    }
    workers = []
    for i in range(count):
        port = _free_port()
        with (log_dir / f"worker{i}.log").open("wb") as log:
            process = subprocess.Popen(
                [*UVICORN, "--port", str(port), "--log-level", "warning"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        workers.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, base in workers:
            _wait_ready(process, base)
        yield workers
    finally:
        for process, _ in workers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_ready(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker at {base} exited with {process.returncode}")
        try:
            httpx.get(f"{base}/ajax/_live/poll", params={"topic": "seq"}, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"worker at {base} did not start")


def test_a_client_cut_off_by_a_killed_worker_resumes_on_another_without_loss(
    tmp_path: Path,
) -> None:
    require_redis()
    namespace = f"ajaxkit-test-{uuid.uuid4().hex}"
    publisher = RedisBroker(redis_url(), namespace=namespace)
    total, kill_at = 2000, 700
    try:
        with _workers(3, namespace, tmp_path) as workers:
            start = httpx.get(f"{workers[0][1]}/ajax/_live/poll", params={"topic": "seq"}).json()
            received = Received(last_event_id=start["cursor"])
            seen: list[int] = []
            killed = threading.Event()

            def publish() -> None:
                for n in range(1, total + 1):
                    publisher.publish("seq", orjson.dumps({"n": n}))
                    if n % 50 == 0:
                        time.sleep(0.01)

            thread = threading.Thread(target=publish)
            thread.start()
            url = "/ajax/_live/sse?topic=seq"
            try:
                for _ in read_stream(workers[0][1] + url, received):
                    seen.append(orjson.loads(received.events[-1][2])["n"])
                    if seen[-1] >= kill_at and not killed.is_set():
                        os.kill(workers[0][0].pid, signal.SIGKILL)
                        killed.set()
            except httpx.HTTPError:
                pass  # the worker died under us, as planned
            assert killed.is_set()
            for _ in read_stream(workers[1][1] + url, received):
                seen.append(orjson.loads(received.events[-1][2])["n"])
                if seen[-1] == total:
                    break
            thread.join()
    finally:
        publisher._sync.delete(publisher.stream_key, publisher.epoch_key, publisher.counter_key)
        publisher._sync.close()
    assert seen == list(range(1, total + 1))
    assert received.connections == 2
