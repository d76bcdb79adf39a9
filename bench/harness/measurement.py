"""Timing cells: server CPU, Redis traffic, and each comparison's pairs round by round."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from bench.harness.comparisons import Cell, Comparison
from bench.harness.servers import REDIS, Server, Servers
from bench.harness.wrk import run_wrk

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and all its live descendants, in seconds."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        # The command name may contain spaces; fields resume after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return sum(ticks.get(pid, 0) for pid in tree) / CLOCK_TICKS


@dataclass
class Sample:
    """One wrk run against one cell, measured for one comparison."""

    comparison: str
    server: str
    endpoint: str
    side: str
    round: int
    #: 0 for the first measurement of the pair in this round, 1 for its re-run, ...
    attempt: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    #: Server CPU seconds per wall second: well below 1 means the server
    #: was not saturated (another process had CPU 0, or wrk fell behind).
    server_cpu_share: float
    errors: dict[str, int]
    #: Whether this pair's measurement was too noisy to report (see ``--min-share``).
    noisy: bool = False
    #: On a server counting in Redis: Redis round trips (read events the
    #: Redis server processed) per request, and commands per request by
    #: name (those a Lua script runs included).  Redis-wide counters: another
    #: client of the same Redis during the run adds to them.
    redis_round_trips: float | None = None
    redis_commands: dict[str, float] | None = None


def measure(
    server: Server, cell: Cell, at: tuple[str, int, int], args: argparse.Namespace
) -> Sample:
    """One timed wrk run against ``cell``; ``at`` is (comparison, round, attempt)."""
    comparison, round_, attempt = at
    redis_before = redis_counters() if server.counts_in_redis else None
    before = tree_cpu_seconds(server.process.pid)
    result = run_wrk(server, cell.endpoint, args.duration, args)
    cpu = tree_cpu_seconds(server.process.pid) - before
    requests = result["requests"]
    per_request = redis_delta(redis_before, requests) if redis_before else (None, None)
    seconds = result["duration_us"] / 1e6
    latency = result["latency_us"]
    return Sample(
        comparison=comparison,
        server=cell.server,
        endpoint=cell.endpoint,
        side=cell.side,
        round=round_,
        attempt=attempt,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        cpu_us_per_request=cpu * 1e6 / requests if requests else float("nan"),
        server_cpu_share=cpu / seconds if seconds else 0.0,
        errors=result["errors"],
        redis_round_trips=per_request[0],
        redis_commands=per_request[1],
    )


RedisCounters = tuple[int, dict[str, int]]  # read events, calls by command


def redis_counters() -> RedisCounters:
    """Redis's read events (one per round trip, a pipeline's too) and calls by command.

    Commands a Lua script runs count in ``commandstats`` but are no round
    trip; read events are what a client's requests cost in trips.
    """
    import redis

    with redis.Redis(host=REDIS[0], port=REDIS[1]) as client:
        calls = {
            name.removeprefix("cmdstat_"): int(stats["calls"])
            for name, stats in client.info("commandstats").items()
        }
        # Read last here and first in the next snapshot: the delta counts one INFO of ours.
        reads = int(client.info("stats")["total_reads_processed"])
    return reads, calls


def redis_delta(before: RedisCounters, requests: int) -> tuple[float, dict[str, float]]:
    """Round trips and commands per request since ``before`` (our own INFOs left out)."""
    after = redis_counters()
    if not requests:
        return float("nan"), {}
    trips = (after[0] - before[0] - 1) / requests
    commands = {
        name: (calls - before[1].get(name, 0)) / requests
        for name, calls in after[1].items()
        if name != "info" and calls != before[1].get(name, 0)
    }
    return trips, commands


def order(comparison: Comparison, round_: int, index: int) -> tuple[Cell, Cell]:
    """Which cell of a pair goes first: alternating by round and by pair."""
    cells = (comparison.bottom, comparison.top)
    return cells if (round_ + index) % 2 == 0 else cells[::-1]


def measure_pair(
    servers: Servers, comparison: Comparison, round_: int, index: int, args: argparse.Namespace
) -> list[Sample]:
    """Both cells back to back; a noisy pair is measured again, up to ``--retries`` times.

    A pair is noisy when either server got less than ``--min-share`` of its
    CPU during its run: something else ran there, so neither its req/s nor
    (less so) its CPU per request can be trusted.  Every attempt is kept in
    the results; only the last one counts, and only when it was quiet.
    """
    taken: list[Sample] = []
    for attempt in range(args.retries + 1):
        pair = [
            measure(
                servers[cell.server, cell.side], cell, (comparison.label, round_, attempt), args
            )
            for cell in order(comparison, round_, index)
        ]
        noisy = min(s.server_cpu_share for s in pair) < args.min_share
        for sample in pair:
            sample.noisy = noisy
            print(
                f"  round {round_ + 1} {comparison.label:<42} {sample.side:<4} "
                f"{sample.rps:9.0f} req/s  p99 {sample.p99_ms:6.2f} ms  "
                f"cpu {sample.cpu_us_per_request:7.1f} us/req  "
                f"share {sample.server_cpu_share:4.0%}{'  noisy' if noisy else ''}",
                flush=True,
            )
        taken += pair
        if not noisy:
            break
    return taken


def benchmark(
    servers: Servers, comparisons_: list[Comparison], args: argparse.Namespace
) -> list[Sample]:
    """Warm every cell up, then measure every comparison's pair once per round."""
    cells = {cell: None for c in comparisons_ for cell in (c.bottom, c.top)}  # ordered set
    for cell in cells if args.warmup else ():
        run_wrk(servers[cell.server, cell.side], cell.endpoint, args.warmup, args)
    samples: list[Sample] = []
    for round_ in range(args.rounds):
        for index, comparison in enumerate(comparisons_):
            samples += measure_pair(servers, comparison, round_, index, args)
    return samples
