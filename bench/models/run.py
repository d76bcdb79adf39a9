"""The timed run: one gunicorn sync worker per database on CPU 0, wrk on CPU 1.

``python -m bench.models.run`` (full) or ``--quick`` (a short validation run).

1. For each database: seed it and run :mod:`bench.models.check` in a
   subprocess (same answers everywhere, queries and transactions per
   request, in-process timings).
2. Start one gunicorn sync worker per database, pinned to CPU 0, on
   127.0.0.1 only; every target is warmed up.
3. Rounds: each round runs every (database, target) for ``--duration``
   seconds with wrk pinned to CPU 1, in an order rotated every round, so
   drift on the shared machine spreads over everyone.
4. Print the table (medians over rounds; ajaxkit / max(DRF, ninja)) and save
   everything as JSON under ``bench/results/``.

The servers are killed at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.models.targets import DATABASES, FRAMEWORKS, OPERATIONS, TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
SERVER_CPU, CLIENT_CPU = "0", "1"
READY_TIMEOUT = 60.0


def _env(db: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "bench.models.project.settings",
        "BENCH_DB": db,
    }


def _pinned(cpu: str, argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if shutil.which("taskset") else list(argv)


# -- servers -------------------------------------------------------------------


@dataclass
class Server:
    db: str
    port: int
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and worker.

        Per request, it hardly moves when other tenants steal the CPU, unlike
        requests per second: the quiet measure on a shared machine.
        """
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sum(_cpu_seconds(int(p)) for p in [pid, *children])


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    # Fields after the command name (which may hold spaces): utime is the
    # 12th, stime the 13th.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(db: str, log: Path) -> Iterator[Server]:
    """A gunicorn sync worker serving the bench project on ``db``; killed on exit."""
    port = _free_port()
    argv = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync"]
    argv += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    argv += ["bench.models.project.wsgi:application"]
    with log.open("ab") as out:
        # Its own session, so that the master and its worker die together.
        process = subprocess.Popen(
            _pinned(SERVER_CPU, argv),
            cwd=ROOT,
            env=_env(db),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    server = Server(db, port, process)
    try:
        _wait_ready(server, TARGETS[0].path)
        yield server
    finally:
        _kill(process)


def _wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({server.db}) exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(server.url(path), timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn ({server.db}) not ready after {READY_TIMEOUT:.0f}s")


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# -- wrk -------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, duration: float, connections: int) -> dict[str, Any]:
    """One wrk run: requests/s, p99 (ms), requests and failures."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s"]
    argv += ["--latency", url]
    done = subprocess.run(
        _pinned(CLIENT_CPU, argv),
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    )
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed on {url}: {done.stderr or out}")
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = int(non_2xx.group(1)) if non_2xx else 0
    failures += sum(int(n) for n in sockets.groups()) if sockets else 0
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else None,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "failures": failures,
    }


# -- the run -----------------------------------------------------------------------


def check(db: str) -> dict[str, Any]:
    """Seed ``db`` and run the in-process check (raises when answers differ)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.models.check", "--db", db, "--json"],
        cwd=ROOT,
        env=_env(db),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"check on {db} failed:\n{done.stdout}\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


Group = tuple[str, str]  # (database, operation): ajaxkit, DRF and ninja, back to back


def schedule(groups: list[Group], rounds: int) -> Iterator[tuple[int, Group, list[Target]]]:
    """Every group once per round; within it the three targets back to back, in an
    order rotated every round, so drift on the shared machine hits them alike."""
    for r in range(rounds):
        for db, op in groups:
            targets = [t for t in TARGETS if t.operation == op]
            shift = r % len(targets)
            yield r, (db, op), targets[shift:] + targets[:shift]


def measure(args: argparse.Namespace, servers: dict[str, Server]) -> dict[str, list[Any]]:
    """Every sample, by ``db/target``; a noisy group is measured again (``--retries``)."""
    groups = [(db, op) for db in args.db for op in args.operations]
    for db in args.db:
        for t in TARGETS:
            if t.operation in args.operations:
                wrk(servers[db].url(t.path), args.warmup, args.connections)
    samples: dict[str, list[Any]] = {f"{db}/{t.name}": [] for db in args.db for t in TARGETS}
    for r, (db, _), targets in schedule(groups, args.rounds):
        for attempt in range(args.retries + 1):
            runs = [(t, _one_run(servers[db], t, args)) for t in targets]
            noisy = min(result["share"] for _, result in runs) < args.min_share
            for t, result in runs:
                samples[f"{db}/{t.name}"].append(
                    {"round": r, "attempt": attempt, "noisy": noisy, **result}
                )
                print(
                    f"  round {r + 1} {db:8} {t.name:14} {result['rps']:8.1f} rps  "
                    f"p99 {result['p99_ms']:6.1f} ms  server CPU {result['cpu_us']:6.0f} "
                    f"us/request  share {result['share']:4.0%}{'  noisy' if noisy else ''}",
                    flush=True,
                )
            if not noisy:
                break
    return {key: runs for key, runs in samples.items() if runs}


def _one_run(server: Server, t: Target, args: argparse.Namespace) -> dict[str, Any]:
    before = server.cpu_seconds()
    result = wrk(server.url(t.path), args.duration, args.connections)
    cpu = server.cpu_seconds() - before
    if result["failures"]:
        raise RuntimeError(f"{server.db}/{t.name}: {result['failures']} failed requests")
    result["cpu_us"] = cpu / result["requests"] * 1e6
    # Server CPU seconds per wall second: well below 1, something else had CPU 0.
    result["share"] = cpu / args.duration
    return result


def final_runs(runs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Round -> the run of that round's last attempt."""
    found: dict[int, dict[str, Any]] = {}
    for run in runs:
        if run["round"] not in found or run["attempt"] >= found[run["round"]]["attempt"]:
            found[run["round"]] = run
    return found


def summarize(samples: dict[str, list[Any]], checks: dict[str, Any]) -> dict[str, Any]:
    """Medians per case over the rounds that count, with queries and transactions."""
    out: dict[str, Any] = {}
    for key, runs in samples.items():
        db, name = key.split("/")
        final = list(final_runs(runs).values())
        used = [s for s in final if not s["noisy"]] or final
        info = checks[db][name]
        out[key] = {
            "rps": statistics.median(s["rps"] for s in used),
            "p99_ms": statistics.median(s["p99_ms"] for s in used),
            "cpu_us": statistics.median(s["cpu_us"] for s in used),
            "share": statistics.median(s["share"] for s in used),
            "queries": info["queries"],
            "transactions": info["transactions"],
            "inproc_us": info["inproc_us"],
        }
    return out


def paired_ratios(
    samples: dict[str, list[Any]], db: str, op: str
) -> tuple[list[float], list[float], int, int]:
    """Per round: ajaxkit / max(DRF, ninja) req/s and min(DRF, ninja) / ajaxkit CPU per
    request, over the rounds whose last attempt was quiet (all rounds when none was);
    then the number of quiet rounds and of rounds."""
    by_fw = {fw: final_runs(samples[f"{db}/{fw}-{op}"]) for fw in FRAMEWORKS}
    rounds = sorted(set.intersection(*(set(runs) for runs in by_fw.values())))
    quiet = [r for r in rounds if not any(by_fw[fw][r]["noisy"] for fw in FRAMEWORKS)]
    rps, cpu = [], []
    for r in quiet or rounds:
        a, d, n = (by_fw[fw][r] for fw in FRAMEWORKS)
        rps.append(a["rps"] / max(d["rps"], n["rps"]))
        cpu.append(min(d["cpu_us"], n["cpu_us"]) / a["cpu_us"])
    return rps, cpu, len(quiet), len(rounds)


def verdicts(
    samples: dict[str, list[Any]],
    summary: dict[str, Any],
    dbs: Sequence[str],
    operations: Sequence[str],
) -> list[dict[str, Any]]:
    """Per database and operation: ajaxkit against the better of DRF and ninja.

    ``ratio`` (the target) is the median over rounds of ajaxkit's req/s over
    the better of DRF's and ninja's in the same round (a paired ratio), with
    the lowest and highest round; ``cpu_ratio`` the same for server CPU per
    request (the fewest of DRF and ninja over ajaxkit's: above 1, ajaxkit is
    cheaper).
    """
    rows = []
    for db in dbs:
        for op in operations:
            by = {fw: summary[f"{db}/{fw}-{op}"] for fw in FRAMEWORKS}
            rps, cpu, quiet, rounds = paired_ratios(samples, db, op)
            ratio = statistics.median(rps)
            rows.append(
                {
                    "db": db,
                    "operation": op,
                    "ratio": ratio,
                    "ratio_min": min(rps),
                    "ratio_max": max(rps),
                    "cpu_ratio": statistics.median(cpu),
                    "quiet_rounds": quiet,
                    "rounds": rounds,
                    "rps_met": ratio >= 1.0,
                    "queries_met": by["ajaxkit"]["queries"]
                    <= min(by[o]["queries"] for o in ("drf", "ninja")),
                    **by,
                }
            )
    return rows


def _three(row: dict[str, Any], key: str, fmt: str) -> str:
    return " / ".join(format(row[fw][key], fmt) for fw in FRAMEWORKS)


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the verdicts (a / d / n: ajaxkit / DRF / ninja)."""
    columns = [
        "db",
        "op",
        "median rps (a / d / n)",
        "a / max(d, n), paired",
        "lowest to highest round",
        "server CPU µs/req (a / d / n)",
        "min(d, n) / a, paired",
        "p99 ms (a / d / n)",
        "queries (a / d / n)",
        "transactions (a / d / n)",
        "in-process µs (a / d / n)",
        "quiet rounds",
        "target",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        met = "met" if row["rps_met"] and row["queries_met"] else "MISSED"
        cells = [
            row["db"],
            row["operation"],
            _three(row, "rps", ".0f"),
            f"{row['ratio']:.2f}",
            f"{row['ratio_min']:.2f} to {row['ratio_max']:.2f}",
            _three(row, "cpu_us", ".0f"),
            f"{row['cpu_ratio']:.2f}",
            _three(row, "p99_ms", ".1f"),
            _three(row, "queries", "d"),
            _three(row, "transactions", "d"),
            _three(row, "inproc_us", ".0f"),
            f"{row['quiet_rounds']}/{row['rounds']}",
            met,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    versions = {}
    for dist in ("django", "djangorestframework", "django-ninja", "gunicorn", "pydantic"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "commit": commit,
        "versions": versions,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=",".join(DATABASES), help="sqlite,postgres")
    parser.add_argument("--operations", default=",".join(OPERATIONS), help="list,get")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per target")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s: a validation run")
    parser.add_argument(
        "--min-share",
        type=float,
        default=0.7,
        help="a round whose server got less of its CPU than this is noisy and re-run (0: never)",
    )
    parser.add_argument("--retries", type=int, default=2, help="re-runs of a noisy round")
    parser.add_argument("--out", type=Path, help="JSON file (default: bench/results/...)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 2, 2.0, 1.0
    args.db = [d for d in args.db.split(",") if d]
    args.operations = [o for o in args.operations.split(",") if o]
    if not set(args.db) <= set(DATABASES):
        parser.error(f"--db must be among {', '.join(DATABASES)}")
    if not set(args.operations) <= set(OPERATIONS):
        parser.error(f"--operations must be among {', '.join(OPERATIONS)}")
    return args


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks

    signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing (apt-get install -y wrk)")
    _stop_on_sigterm()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    env_before = environment()
    print("checking answers and counting queries ...", flush=True)
    checks = {db: check(db) for db in args.db}
    with ExitStack() as stack:
        log = RESULTS / f"models-{stamp}-gunicorn.log"
        servers = {db: stack.enter_context(serve(db, log)) for db in args.db}
        print(
            f"measuring: {args.rounds} rounds x {len(args.db)} databases x "
            f"{len(FRAMEWORKS) * len(args.operations)} targets x "
            f"{args.duration:g}s, {args.connections} connections",
            flush=True,
        )
        samples = measure(args, servers)
    summary = summarize(samples, checks)
    rows = verdicts(samples, summary, args.db, args.operations)
    result = {
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "environment": env_before,
        "loadavg_after": os.getloadavg(),
        "checks": checks,
        "samples": samples,
        "summary": summary,
        "verdicts": rows,
    }
    out = args.out or RESULTS / f"models-{stamp}.json"
    out.write_text(json.dumps(result, indent=2))
    print()
    print(table(rows))
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
