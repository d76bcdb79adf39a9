"""Benchmark ajaxkit against each framework's own JSON views, over real HTTP.

Run from the repository root::

    /work/venv/bin/python bench/run.py --quick                 # a smoke run (~1 min)
    /work/venv/bin/python bench/run.py                         # the measured run
    /work/venv/bin/python bench/run.py --frameworks starlette fastapi

Each server (one worker) runs pinned to CPU 0 and ``wrk`` pinned to CPU 1,
both on 127.0.0.1 only.  Every framework gets two servers, one serving
``/raw/*`` (the framework's idiom) and one ``/ajax/*`` (ajaxkit), all started
up front and left running, so each raw/ajaxkit pair is measured back to back
against warm processes, in alternating order, for several rounds.  See
``bench/README.md`` for how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.apps.data import ECHO_BODY, ENDPOINTS, wrong_answer  # noqa: E402

LUA = ROOT / "bench" / "wrk" / "bench.lua"
RESULTS = ROOT / "bench" / "results"
SERVER_CPU, LOAD_CPU = 0, 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SIDES = ("raw", "ajax")


# --- servers ------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How to start one benchmarked server."""

    name: str
    framework: str
    kind: str  # "gunicorn" or "uvicorn"
    target: str

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
        ServerSpec("fastapi", "fastapi", "uvicorn", "bench.apps.fastapi_app:app"),
    )
}


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
        return f"http://127.0.0.1:{self.port}/{self.side}/{endpoint}"

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
            env={**env, "BENCH_SIDE": side},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
    return Server(spec, side, port, process, log)


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    """Wait until the server answers ``small``; raise if it died or never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _, _ = fetch(server.url("small"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"not answering after {timeout:.0f}s:\n{server.log_tail()}")


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


@contextmanager
def running(specs: list[ServerSpec], env: dict[str, str], pin: bool) -> Iterator[list[Server]]:
    """Start ``specs``; whatever happens, stop every one of them at the end."""
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="ajaxkit-bench-") as logs:
        try:
            for spec in specs:
                for side in SIDES:
                    servers.append(start_server(spec, side, env, Path(logs), pin))
            yield servers
        finally:
            for server in servers:
                stop_server(server)


# --- checking a server answers what it should -----------------------------------


def fetch(url: str, body: bytes | None = None) -> tuple[int, Message, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:  # 127.0.0.1 only
        return response.status, response.headers, response.read()


def validate(server: Server) -> None:
    """Every cell answers 200 with the right JSON; records sizes and content types."""
    for endpoint in ENDPOINTS:
        body = json.dumps(ECHO_BODY).encode() if endpoint == "echo" else None
        status, headers, content = fetch(server.url(endpoint), body)
        problem = wrong_answer(endpoint, json.loads(content)) if status == 200 else None
        if status != 200 or problem:
            raise RuntimeError(f"/{server.side}/{endpoint}: {status} {problem or content[:200]!r}")
        server.info[endpoint] = {"bytes": len(content), "content_type": headers.get("Content-Type")}


# --- measuring --------------------------------------------------------------------


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
    """One wrk run against one cell (server, endpoint, side)."""

    server: str
    endpoint: str
    side: str
    round: int
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


def run_wrk(url: str, endpoint: str, seconds: int, connections: int, pin: bool) -> dict[str, Any]:
    env = {**os.environ, "BENCH_BODY": json.dumps(ECHO_BODY) if endpoint == "echo" else ""}
    argv = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(LUA), url,
    ]  # fmt: skip
    done = subprocess.run(
        pinned(LOAD_CPU, argv, pin),
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,  # a failure is reported below, with wrk's own message
    )
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))  # type: ignore[no-any-return]
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def measure(server: Server, endpoint: str, round_: int, args: argparse.Namespace) -> Sample:
    before = tree_cpu_seconds(server.process.pid)
    result = run_wrk(server.url(endpoint), endpoint, args.duration, args.connections, args.pin)
    cpu = tree_cpu_seconds(server.process.pid) - before
    requests = result["requests"]
    seconds = result["duration_us"] / 1e6
    latency = result["latency_us"]
    return Sample(
        server=server.spec.name,
        endpoint=endpoint,
        side=server.side,
        round=round_,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        cpu_us_per_request=cpu * 1e6 / requests if requests else float("nan"),
        server_cpu_share=cpu / seconds if seconds else 0.0,
        errors=result["errors"],
    )


Pairs = dict[str, dict[str, Server]]  # server name -> side -> server


def cells(pairs: Pairs, endpoints: list[str], round_: int) -> Iterator[tuple[Server, str]]:
    """This round's order: pairs back to back, alternating which side goes first."""
    flip = 0
    for pair in pairs.values():
        for endpoint in endpoints:
            sides = SIDES if (round_ + flip) % 2 == 0 else SIDES[::-1]
            flip += 1
            for side in sides:
                yield pair[side], endpoint


def benchmark(pairs: Pairs, args: argparse.Namespace) -> list[Sample]:
    for server, endpoint in cells(pairs, args.endpoints, 0):
        run_wrk(server.url(endpoint), endpoint, args.warmup, args.connections, args.pin)
    samples: list[Sample] = []
    total = args.rounds * len(pairs) * len(args.endpoints) * 2
    for round_ in range(args.rounds):
        for server, endpoint in cells(pairs, args.endpoints, round_):
            sample = measure(server, endpoint, round_, args)
            samples.append(sample)
            bad = sum(sample.errors.values())
            note = f"  ({bad} errors: {sample.errors})" if bad else ""
            print(
                f"  [{len(samples):3d}/{total}] round {round_ + 1} {server.spec.name:<11} "
                f"{endpoint:<5} {server.side:<4} {sample.rps:9.0f} req/s  "
                f"p99 {sample.p99_ms:6.2f} ms  cpu {sample.cpu_us_per_request:7.1f} us/req  "
                f"share {sample.server_cpu_share:4.0%}{note}",
                flush=True,
            )
    return samples


# --- summarising --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal on a median paired ratio."""

    label: str
    numerator: tuple[str, str, str]  # (server, endpoint, side)
    denominator: tuple[str, str, str]
    minimum: float


def targets(servers: list[str]) -> list[Target]:
    """The issue's targets, for the servers that were measured."""
    found: list[Target] = []
    for name in servers:
        for endpoint in ("small", "echo"):
            found.append(
                Target(f"{name} {endpoint}", (name, endpoint, "ajax"), (name, endpoint, "raw"), 0.9)
            )
        users_goal = {"django": 1.15, "flask": 1.15, "starlette": 1.4}.get(SERVERS[name].framework)
        if users_goal:
            found.append(
                Target(f"{name} users", (name, "users", "ajax"), (name, "users", "raw"), users_goal)
            )
    if {"starlette", "fastapi"} <= set(servers):
        found.append(
            Target(
                "ajaxkit-Starlette small vs FastAPI small",
                ("starlette", "small", "ajax"),
                ("fastapi", "small", "raw"),
                1.8,
            )
        )
    return found


Cells = dict[tuple[str, str, str], dict[int, Sample]]  # (server, endpoint, side) -> round -> run


def by_cell(samples: list[Sample]) -> Cells:
    table: Cells = {}
    for s in samples:
        table.setdefault((s.server, s.endpoint, s.side), {})[s.round] = s
    return table


def paired_ratio(
    cells_: Cells,
    top: tuple[str, str, str],
    bottom: tuple[str, str, str],
    metric: str,
) -> float | None:
    """Median over rounds of top/bottom rps (``cpu``: bottom/top CPU per request)."""
    a, b = cells_.get(top, {}), cells_.get(bottom, {})
    ratios = []
    for round_ in sorted(a.keys() & b.keys()):
        if metric == "rps" and b[round_].rps:
            ratios.append(a[round_].rps / b[round_].rps)
        elif metric == "cpu" and a[round_].cpu_us_per_request:
            ratios.append(b[round_].cpu_us_per_request / a[round_].cpu_us_per_request)
    return statistics.median(ratios) if ratios else None


def median_of(cell: dict[int, Sample], attribute: str) -> float:
    return float(statistics.median(getattr(s, attribute) for s in cell.values()))


def row(cells_: Cells, server: str, endpoint: str) -> dict[str, Any] | None:
    """Medians of both sides of one pair and their paired ratios."""
    raw, ajax = (server, endpoint, "raw"), (server, endpoint, "ajax")
    if raw not in cells_ or ajax not in cells_:
        return None
    found: dict[str, Any] = {"server": server, "endpoint": endpoint}
    for side, key in (("raw", raw), ("ajax", ajax)):
        for attribute in ("rps", "p99_ms", "cpu_us_per_request", "server_cpu_share"):
            found[f"{side}_{attribute}"] = median_of(cells_[key], attribute)
    found["ratio_rps"] = paired_ratio(cells_, ajax, raw, "rps")
    found["ratio_cpu"] = paired_ratio(cells_, ajax, raw, "cpu")
    return found


def summarise(samples: list[Sample], servers: list[str]) -> dict[str, Any]:
    cells_ = by_cell(samples)
    rows = [row(cells_, server, endpoint) for server in servers for endpoint in ENDPOINTS]
    goals = []
    for target in targets(servers):
        ratio = paired_ratio(cells_, target.numerator, target.denominator, "rps")
        cpu = paired_ratio(cells_, target.numerator, target.denominator, "cpu")
        if ratio is not None:
            goals.append(
                {
                    **asdict(target),
                    "ratio_rps": ratio,
                    "ratio_cpu": cpu,
                    "met": ratio >= target.minimum,
                }
            )
    return {"rows": [r for r in rows if r], "targets": goals}


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| server | endpoint | raw req/s | ajaxkit req/s | **ratio** | raw p99 ms | ajaxkit p99 ms "
        "| raw CPU µs/req | ajaxkit CPU µs/req | CPU ratio | server CPU share |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in summary["rows"]:
        lines.append(
            f"| {r['server']} | {r['endpoint']} | {r['raw_rps']:.0f} | {r['ajax_rps']:.0f} "
            f"| **{r['ratio_rps']:.2f}x** | {r['raw_p99_ms']:.2f} | {r['ajax_p99_ms']:.2f} "
            f"| {r['raw_cpu_us_per_request']:.0f} | {r['ajax_cpu_us_per_request']:.0f} "
            f"| {r['ratio_cpu']:.2f}x | {r['raw_server_cpu_share']:.0%} / "
            f"{r['ajax_server_cpu_share']:.0%} |"
        )
    lines += [
        "",
        "| target | goal | measured (req/s) | by CPU/req | met |",
        "|---|--:|--:|--:|---|",
    ]
    for t in summary["targets"]:
        cpu = f"{t['ratio_cpu']:.3f}x" if t["ratio_cpu"] is not None else "-"
        lines.append(
            f"| {t['label']} | ≥ {t['minimum']}x | {t['ratio_rps']:.3f}x | {cpu} "
            f"| {'yes' if t['met'] else '**NO**'} |"
        )
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------


def environment(args: argparse.Namespace) -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", "src", "bench")),
        "versions": {
            n: version(n)
            for n in (
                "django",
                "flask",
                "starlette",
                "fastapi",
                "pydantic",
                "orjson",
                "uvicorn",
                "gunicorn",
                "uvloop",
                "httptools",
            )
        },
        "args": dict(vars(args)),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 round of 1 s per cell: checks the harness"
    )
    parser.add_argument(
        "--frameworks",
        nargs="+",
        metavar="NAME",
        help=f"servers or frameworks (default all): {', '.join(SERVERS)}, django",
    )
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per cell")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--asgi-handlers",
        choices=("async", "sync"),
        default="async",
        help="handler kind on ASGI servers (both sides)",
    )
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin to CPUs 0 and 1"
    )
    parser.add_argument(
        "--output", type=Path, help="results JSON (default bench/results/<time>.json)"
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 1, 1
    names = args.frameworks or list(SERVERS)
    args.servers = [s for s in SERVERS if s in names or SERVERS[s].framework in names]
    unknown = set(names) - set(SERVERS) - {s.framework for s in SERVERS.values()}
    if unknown or not args.servers:
        parser.error(
            f"unknown --frameworks {sorted(unknown)}; choose from {', '.join(SERVERS)}, django"
        )
    if args.pin and not {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0):
        print(f"CPUs {SERVER_CPU} and {LOAD_CPU} are not both available: not pinning.")
        args.pin = False
    return args


def ready_pairs(stack: list[Server]) -> Pairs:
    """Raw/ajaxkit pairs whose servers both started and answer correctly.

    The others are reported and skipped.
    """
    pairs: Pairs = {}
    broken: set[str] = set()
    for server in stack:
        try:
            wait_ready(server)
            validate(server)
        except (RuntimeError, OSError, ValueError) as exc:
            print(f"!! {server.spec.name} ({server.side}): skipped, {exc}")
            broken.add(server.spec.name)
            continue
        pairs.setdefault(server.spec.name, {})[server.side] = server
        print(
            f"   {server.spec.name:<11} {server.side:<4} on 127.0.0.1:{server.port}: {server.info}"
        )
    return {name: pair for name, pair in pairs.items() if name not in broken}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "BENCH_ASGI_HANDLERS": args.asgi_handlers,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    info = environment(args)
    print(f"load average before: {info['loadavg_before']}; pinning: {args.pin}")
    with running([SERVERS[n] for n in args.servers], env, args.pin) as stack:
        pairs = ready_pairs(stack)
        if not pairs:
            print("no server could be benchmarked")
            return 1
        samples = benchmark(pairs, args)
        info["servers"] = {n: {s: p[s].info for s in SIDES} for n, p in pairs.items()}
    info["loadavg_after"] = os.getloadavg()
    summary = summarise(samples, list(pairs))
    table = markdown(summary)
    print(f"\nload average after: {info['loadavg_after']}\n\n{table}")
    save(args, info, samples, summary, table)
    return 0 if all(t["met"] for t in summary["targets"]) else 2


def save(
    args: argparse.Namespace,
    info: dict[str, Any],
    samples: list[Sample],
    summary: dict[str, Any],
    table: str,
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.output or RESULTS / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    info["args"] = {k: str(v) if isinstance(v, Path) else v for k, v in info["args"].items()}
    document = {
        "environment": info,
        "samples": [asdict(s) for s in samples],
        **summary,
        "markdown": table,
    }
    path.write_text(json.dumps(document, indent=2))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    sys.exit(main())
