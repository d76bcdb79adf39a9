"""No loss across processes: real uvicorn workers, real Redis, real failures.

Each test starts its own server processes on free ports of 127.0.0.1; the
Redis restart test also starts its own ``redis-server`` (with an append-only
file), since the machine's shared Redis is not the tests' to restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from ajaxkit.live.redis import RedisBroker
from tests.live.sse_client import Received, read_stream
from tests.services import redis_url, require_redis

pytestmark = [pytest.mark.redis, pytest.mark.starlette, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
UVICORN = (sys.executable, "-m", "uvicorn", "tests.live.sse_app:app")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
SSE = "/ajax/_live/sse?topic=seq"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _workers(
    count: int, log_dir: Path, redis: str, namespace: str, **settings: str
) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    env = {**ENV, "AJAXKIT_LIVE_REDIS": redis, "AJAXKIT_LIVE_NAMESPACE": namespace}
    env.update({f"AJAXKIT_LIVE_{k.upper()}": v for k, v in settings.items()})
    workers = []
    try:
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
        for process, base in workers:
            _wait_until(lambda base=base: _answers(base), f"worker at {base}", process)  # type: ignore[misc]
        yield workers
    finally:
        for process, _ in workers:
            _stop(process)


def _answers(base: str) -> bool:
    try:
        httpx.get(f"{base}/ajax/_stats", timeout=1)
    except httpx.TransportError:
        return False
    return True


def _wait_until(
    ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready in time")


@contextmanager
def _reader(url: str, out: Path, total: int, cursor: str) -> Iterator[subprocess.Popen[bytes]]:
    """The EventSource in a process of its own (so that it can be paused)."""
    command = [sys.executable, "-m", "tests.live.sse_reader", url, str(out), str(total), cursor]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        _stop(process)


def _lines(out: Path) -> list[str]:
    return out.read_text().split() if out.exists() else []


def _numbers(out: Path) -> list[int]:
    return [int(line) for line in _lines(out) if line.isdigit()]


@pytest.fixture
def namespace() -> Iterator[str]:
    require_redis()
    name = f"ajaxkit-test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(redis_url())
    client.delete(*(f"{{{name}}}:live{suffix}" for suffix in ("", ":epoch", ":n")))
    client.close()


def _publish(broker: RedisBroker, numbers: range, pad: int = 0) -> None:
    filler = "x" * pad
    for n in numbers:
        broker.publish("seq", orjson.dumps({"n": n, "pad": filler}))


def _head(base: str) -> str:
    cursor: str = httpx.get(f"{base}/ajax/_live/poll", params={"topic": "seq"}).json()["cursor"]
    return cursor


def test_a_client_cut_off_by_a_killed_worker_resumes_on_another_without_loss(
    tmp_path: Path, namespace: str
) -> None:
    publisher = RedisBroker(redis_url(), namespace=namespace)
    total, kill_at = 2000, 700
    with _workers(3, tmp_path, redis_url(), namespace) as workers:
        received = Received(last_event_id=_head(workers[0][1]))
        seen: list[int] = []

        def publish() -> None:
            for n in range(1, total + 1):
                publisher.publish("seq", orjson.dumps({"n": n}))
                if n % 50 == 0:
                    time.sleep(0.01)

        thread = threading.Thread(target=publish)
        thread.start()
        try:
            for _ in read_stream(workers[0][1] + SSE, received):
                seen.append(orjson.loads(received.events[-1][2])["n"])
                if seen[-1] >= kill_at:
                    os.kill(workers[0][0].pid, signal.SIGKILL)
        except httpx.HTTPError:
            pass  # the worker died under us, as planned
        assert workers[0][0].wait(timeout=10) == -signal.SIGKILL
        for _ in read_stream(workers[1][1] + SSE, received):
            seen.append(orjson.loads(received.events[-1][2])["n"])
            if seen[-1] == total:
                break
        thread.join()
    publisher._sync.close()
    assert seen == list(range(1, total + 1))
    assert received.connections == 2


def test_idle_streams_get_heartbeats_and_a_disconnect_frees_the_subscription(
    tmp_path: Path, namespace: str
) -> None:
    with _workers(1, tmp_path, redis_url(), namespace, heartbeat="0.2") as workers:
        base = workers[0][1]
        with httpx.stream("GET", base + SSE, timeout=10) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("id: ")
            assert next(lines).startswith("retry: ")
            assert next(lines) == "event: ajaxkit-open"
            assert next(lines).startswith('data: {"cursor":')
            assert next(lines) == ""
            assert next(lines) == ":"  # the heartbeat comment
            subscriptions = httpx.get(f"{base}/ajax/_stats").json()["subscriptions"]
            assert subscriptions == 1
        _wait_until(
            lambda: httpx.get(f"{base}/ajax/_stats").json()["subscriptions"] == 0,
            "the subscription to be freed",
        )


def test_a_client_paused_past_its_buffer_is_cut_off_and_resumes_without_loss(
    tmp_path: Path, namespace: str
) -> None:
    publisher = RedisBroker(redis_url(), namespace=namespace, window=100_000)
    total = 6_000
    out = tmp_path / "events.txt"
    with _workers(1, tmp_path, redis_url(), namespace, buffer="65536") as workers:
        base = workers[0][1]
        _publish(publisher, range(1, 2))
        with _reader(base + SSE, out, total, _head(base)) as reader:
            _publish(publisher, range(2, 3))
            _wait_until(lambda: _numbers(out) == [2], "the reader to start")
            reader.send_signal(signal.SIGSTOP)
            _publish(publisher, range(3, total + 1), pad=1500)  # ~9 MB behind
            reader.send_signal(signal.SIGCONT)
            assert reader.wait(timeout=60) == 0
    publisher._sync.close()
    assert _numbers(out) == list(range(2, total + 1))
    assert _lines(out).count("connect") >= 2, "the slow client was never cut off"
    assert "reset" not in _lines(out)


def test_more_missed_than_the_window_gives_exactly_one_reset_then_live_events(
    tmp_path: Path, namespace: str
) -> None:
    publisher = RedisBroker(redis_url(), namespace=namespace, window=100)
    out = tmp_path / "events.txt"
    with _workers(1, tmp_path, redis_url(), namespace) as workers:
        base = workers[0][1]
        old = _head(base)
        _publish(publisher, range(1, 1001))  # far more than the window, while away
        with _reader(base + SSE, out, 1010, old) as reader:
            _wait_until(lambda: "reset" in _lines(out), "the reset")
            _publish(publisher, range(1001, 1011))
            assert reader.wait(timeout=30) == 0
    publisher._sync.close()
    assert _lines(out) == ["reset", "connect", *map(str, range(1001, 1011))] or _lines(out) == [
        "connect",
        "reset",
        *map(str, range(1001, 1011)),
    ]


@contextmanager
def _redis_server(directory: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is needed to test a Redis restart")
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
    command += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    with (directory / "redis.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        _wait_until(lambda: _pings(client), "redis-server", process)
        yield process
    finally:
        client.close()
        _stop(process)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _publish_retrying(broker: RedisBroker, numbers: range) -> None:
    for n in numbers:
        for _attempt in range(100):
            try:
                broker.publish("seq", orjson.dumps({"n": n}))
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"could not publish {n}")


def test_a_redis_restart_loses_nothing(tmp_path: Path) -> None:
    """Worker and client stay up while Redis restarts from its append-only file."""
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    data = tmp_path / "redis"
    data.mkdir()
    out = tmp_path / "events.txt"
    with ExitStack() as stack:
        first = stack.enter_context(_redis_server(data, port))
        publisher = RedisBroker(url, namespace="restart")
        stack.callback(publisher._sync.close)
        workers = stack.enter_context(_workers(1, tmp_path, url, "restart"))
        base = workers[0][1]
        reader = stack.enter_context(_reader(base + SSE, out, 1000, _head(base)))
        _publish_retrying(publisher, range(1, 2))
        _wait_until(lambda: _numbers(out) == [1], "the reader to start")
        _publish_retrying(publisher, range(2, 301))
        _stop(first)  # mid-stream, with events still being published
        restarted = threading.Timer(0.5, lambda: stack.enter_context(_redis_server(data, port)))
        restarted.start()
        _publish_retrying(publisher, range(301, 1001))
        restarted.join()
        assert reader.wait(timeout=30) == 0
    assert _numbers(out) == list(range(1, 1001))
    assert "reset" not in _lines(out)


def test_two_subscribers_on_different_workers_see_the_same_order(
    tmp_path: Path, namespace: str
) -> None:
    publishers = [RedisBroker(redis_url(), namespace=namespace) for _ in range(2)]
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    with _workers(2, tmp_path, redis_url(), namespace) as workers:
        head = _head(workers[0][1])
        with ExitStack() as readers:
            for (_, base), out in zip(workers, outs, strict=True):
                readers.enter_context(_reader(base + SSE, out, 401, head))
            # Two publishers at once: the log decides one order for everyone.
            threads = [
                threading.Thread(target=_publish, args=(p, range(start, 401, 2)))
                for p, start in zip(publishers, (1, 2), strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            _publish(publishers[0], range(401, 402))  # the readers stop at 401
            _wait_until(lambda: all(len(_numbers(out)) == 401 for out in outs), "both readers")
    for publisher in publishers:
        publisher._sync.close()
    first, second = (_numbers(out) for out in outs)
    assert first == second
    assert sorted(first) == list(range(1, 402))
