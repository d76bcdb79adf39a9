"""Live updates: ajaxkit vs sse-starlette + broadcaster, measured in one run.

Both stacks are driven in process through their ASGI apps, with in-memory
connections (a ``receive`` that waits for the disconnect, a ``send`` that
timestamps each chunk), so the numbers compare the stacks themselves, not the
socket layer both would share under uvicorn.

    .venv/bin/python -m bench.live.run                  # 10,000 idle, 1,000 for latency
    .venv/bin/python -m bench.live.run --idle 2000 --quick
    .venv/bin/python -m bench.live.run --redis redis://127.0.0.1:6379/15

Prints one table; the ratios are ajaxkit / peer.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.live.apps import Stack, ajaxkit_stack, bare_stack, peer_stack


@dataclass
class Connection:
    """One in-memory HTTP connection to an ASGI app."""

    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    data_seen: int = 0
    waiter: Callable[[], None] | None = None
    #: Shared by every connection of a measurement: data frames seen in all.
    total: list[int] = field(default_factory=lambda: [0])

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started.set()
        elif message["type"] == "http.response.body" and message.get("body"):
            now = time.perf_counter()
            body = message["body"]
            self.chunks.append((now, body))
            frames = body.count(b"data:")
            self.data_seen += frames
            self.total[0] += frames
            if not self.started.is_set():
                self.started.set()
            if self.waiter is not None:
                self.waiter()


def _scope(stack: Stack) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": stack.path,
        "raw_path": stack.path.encode(),
        "root_path": "",
        "query_string": stack.query,
        "headers": [(b"host", b"bench"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def _open(stack: Stack, count: int) -> tuple[list[Connection], list[asyncio.Task[None]]]:
    total = [0]
    connections = [Connection(total=total) for _ in range(count)]
    tasks = [
        asyncio.ensure_future(stack.app(_scope(stack), c.receive, c.send)) for c in connections
    ]
    await asyncio.gather(*(c.started.wait() for c in connections))
    for _ in range(20):  # let every stack settle into its idle state
        await asyncio.sleep(0.01)
    return connections, tasks


async def _close(connections: list[Connection], tasks: list[asyncio.Task[None]]) -> None:
    for connection in connections:
        connection.gone.set()
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()


async def idle_cost(make: Callable[[], Stack], count: int) -> dict[str, float]:
    """Memory (tracemalloc) and asyncio tasks per idle connection."""
    stack = make()
    await stack.start()
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    connections, tasks = await _open(stack, count)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    tasks_per = (len(asyncio.all_tasks()) - tasks_before) / count
    await _close(connections, tasks)
    await stack.stop()
    return {"bytes_per_connection": (after - before) / count, "tasks_per_connection": tasks_per}


async def fan_out(make: Callable[[], Stack], count: int, events: int) -> dict[str, float]:
    """Deliveries per second: ``events`` published to ``count`` subscribers."""
    stack = make()
    await stack.start()
    connections, tasks = await _open(stack, count)
    total = connections[0].total
    total[0] = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(events):
        await stack.publish(orjson.dumps({"n": n}))
    while total[0] < count * events:
        await asyncio.sleep(0.001)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    await _close(connections, tasks)
    await stack.stop()
    return {
        "deliveries_per_s": count * events / wall,
        "cpu_us_per_delivery": cpu / (count * events) * 1e6,
    }


async def latency(make: Callable[[], Stack], count: int, events: int) -> dict[str, float]:
    """Publish → delivered to each of ``count`` subscribers, p50 and p99 in ms."""
    stack = make()
    await stack.start()
    connections, tasks = await _open(stack, count)
    samples: list[float] = []
    for n in range(events):
        marks = [len(c.chunks) for c in connections]
        sent = time.perf_counter()
        await stack.publish(orjson.dumps({"n": n}))
        while any(len(c.chunks) == m for c, m in zip(connections, marks, strict=True)):
            await asyncio.sleep(0)
        samples += [c.chunks[m][0] - sent for c, m in zip(connections, marks, strict=True)]
        await asyncio.sleep(0.02)
    await _close(connections, tasks)
    await stack.stop()
    return _percentiles(samples)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
    }


async def resume_flush(events: int) -> dict[str, float]:
    """ajaxkit only: a reconnect with a cursor 1,000 events back, to its first write."""
    stack = ajaxkit_stack()
    assert stack.live is not None
    first = stack.live.broker.publish("bench", b"0")
    for n in range(1, events + 1):
        stack.live.broker.publish("bench", orjson.dumps({"n": n}))
    timings = []
    for _ in range(5):
        stack.query = b"topic=bench&cursor=" + first.encode()
        began = time.perf_counter()
        connections, tasks = await _open(stack, 1)
        flushed = connections[0].chunks[0][0] - began
        assert connections[0].data_seen == events, connections[0].data_seen
        timings.append(flushed)
        await _close(connections, tasks)
    await stack.stop()
    return {"resume_ms": min(timings) * 1e3}


async def heartbeat_cost(make: Callable[[], Stack], count: int, seconds: float) -> dict[str, float]:
    """Share of one core keeping ``count`` idle streams alive (1 s beats, scaled to 15 s)."""
    stack = make()
    await stack.start()
    connections, tasks = await _open(stack, count)
    cpu = time.process_time()
    await asyncio.sleep(seconds)
    used = time.process_time() - cpu
    beats = sum(1 for c in connections for _, body in c.chunks if body.startswith(b":"))
    await _close(connections, tasks)
    await stack.stop()
    # Measured with 1 s heartbeats; the default is one per 15 s.
    return {"core_percent_at_15s": used / seconds * 100 / 15, "beats": beats}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections")
    parser.add_argument("--subscribers", type=int, default=1_000, help="for latency")
    parser.add_argument("--redis", default=None, help="also measure through this Redis URL")
    parser.add_argument("--quick", action="store_true", help="fewer events and seconds")
    args = parser.parse_args()
    events = 5 if args.quick else 20
    stacks: dict[str, tuple[Callable[[], Stack], Callable[[], Stack]]] = {
        "memory": (ajaxkit_stack, peer_stack),
    }
    rows: list[tuple[str, str, float, float]] = []

    def row(metric: str, unit: str, mine: float, theirs: float) -> None:
        rows.append((metric, unit, mine, theirs))
        ratio = mine / theirs if theirs else float("nan")
        print(f"{metric:<34} {unit:<10} {mine:>12.2f} {theirs:>12.2f} {ratio:>8.2f}", flush=True)

    print(f"{'metric':<34} {'unit':<10} {'ajaxkit':>12} {'peer':>12} {'ratio':>8}")
    mine_make, peer_make = stacks["memory"]
    a, b = await idle_cost(mine_make, args.idle), await idle_cost(peer_make, args.idle)
    bare = (await idle_cost(bare_stack, args.idle))["bytes_per_connection"]
    print(f"(a bare open stream costs {bare:.0f} bytes/conn in this harness; subtracted below)")
    row(
        f"idle memory ({args.idle})",
        "bytes/conn",
        a["bytes_per_connection"] - bare,
        b["bytes_per_connection"] - bare,
    )
    row(
        f"idle tasks ({args.idle})",
        "tasks/conn",
        a["tasks_per_connection"],
        b["tasks_per_connection"],
    )
    a, b = await fan_out(mine_make, args.idle, events), await fan_out(peer_make, args.idle, events)
    row(f"fan-out ({args.idle} subs)", "deliv/s", a["deliveries_per_s"], b["deliveries_per_s"])
    row("fan-out CPU", "us/deliv", a["cpu_us_per_delivery"], b["cpu_us_per_delivery"])
    a = await latency(mine_make, args.subscribers, events)
    b = await latency(peer_make, args.subscribers, events)
    row(f"latency to {args.subscribers} subs p50", "ms", a["p50_ms"], b["p50_ms"])
    row(f"latency to {args.subscribers} subs p99", "ms", a["p99_ms"], b["p99_ms"])
    resume = await resume_flush(1000)
    row("resume of 1,000 events", "ms", resume["resume_ms"], float("nan"))
    seconds = 2.0 if args.quick else 5.0
    a = await heartbeat_cost(lambda: ajaxkit_stack(heartbeat=1.0), args.idle, seconds)
    b = await heartbeat_cost(lambda: peer_stack(ping=1), args.idle, seconds)
    row(
        f"heartbeats ({args.idle} idle)",
        "% core",
        a["core_percent_at_15s"],
        b["core_percent_at_15s"],
    )
    if args.redis:
        count = 50 if args.quick else 200
        a = await latency(lambda: ajaxkit_stack(args.redis), 1, count)
        try:
            b = await asyncio.wait_for(latency(lambda: peer_stack(args.redis), 1, count), 60)
        except asyncio.TimeoutError:  # broadcaster's pub/sub delivered nothing in time
            b = {"p50_ms": float("nan"), "p99_ms": float("nan")}
        row("redis, 1 subscriber p50", "ms", a["p50_ms"], b["p50_ms"])
        row("redis, 1 subscriber p99", "ms", a["p99_ms"], b["p99_ms"])


if __name__ == "__main__":
    asyncio.run(main())
