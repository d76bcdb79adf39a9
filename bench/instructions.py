"""The safety comparisons in CPU instructions per request, counted by callgrind.

Run from the repository root with the repository's ``.venv`` and the
``bench`` extra; needs the Debian package ``valgrind`` (see ``bench/README.md``)::

    .venv/bin/python bench/instructions.py                            # every cell, ~8 min
    .venv/bin/python bench/instructions.py --servers starlette --guards limits

``bench/run.py --endpoints csrf limits`` times the same cells with ``wrk``; on
a busy machine its ratios move by up to 0.2 from run to run.  This counts
what the server process executes instead, which hardly depends on what
else the machine runs.  Each cell's server (the one ``run.py`` starts, same
command and environment) runs under ``valgrind --tool=callgrind``, serves
its cell's request ``N`` times over one keep-alive connection from a client
outside valgrind, and is stopped with SIGINT; callgrind's total for the
whole process is read from its output file.  Two runs per cell, with
``--requests`` 1,500 and 3,500 by default, and the difference of their totals
over the difference of their requests is the cost of one request: starting,
importing, checking and stopping are the same in both runs and cancel out.

The ratio is the unguarded cell's instructions per request over the guarded
cell's, the CPU ratio of ``run.py``, held to the same goals; the exit status
is 0 when every goal is met and 2 when one is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.apps.data import ECHO_BODY  # noqa: E402
from bench.harness.checks import (  # noqa: E402
    checked_answer,
    fetch_csrf_token,
    request_headers,
    wait_ready,
)
from bench.harness.loads import KEYS, LOADS, SAFETY  # noqa: E402
from bench.harness.servers import SERVERS, Server, ServerSpec, free_port  # noqa: E402

#: The servers measured by default: those where one request costs little
#: enough that a few thousand of them under callgrind take seconds.
DEFAULT_SERVERS = ("starlette", "starlette-front", "fastapi", "fastapi-front")
#: The safety groups of :data:`~bench.harness.loads.SAFETY` measured here
#: (``limits-redis`` is not: its cost is a round trip, not instructions).
GROUPS = ("csrf", "limits")
#: Requests of each cell's two runs.  Both exceed the addresses the limited
#: pair rotates over (``--addresses``), so every one of the extra requests
#: comes from an address the server has seen before, as
#: nearly all of wrk's do: counting a new address costs more than counting
#: a known one, and a short run of first-seen addresses against a long run
#: of known ones once made the limit look twice as dear as it is.
REQUESTS = (1500, 3500)
#: Client addresses the rate-limited pair rotates over here, where wrk
#: rotates ``KEYS`` (1,024).  What matters to the limit is how many requests
#: an address sends in one window (one second for ``100/second``): wrk's
#: ~15,000 requests a second give each of its addresses ~15, so nearly every
#: request is counted in a counter that exists.  Under callgrind a server
#: answers ~150 a second, and with 1,024 addresses every request was its
#: address's first in its window (a new counter in a dict that grows from
#: empty each second), ~2,300 instructions a request dearer than a known
#: address in process (Starlette's Mount: 189,505 against 187,233 with
#: eight addresses).  Eight give each ~19 a window, as wrk's do;
#: ``--addresses 1024`` counts as earlier runs did.
ADDRESSES = 8
#: Seconds a server under callgrind may take to start answering, and to exit.
START_TIMEOUT, STOP_TIMEOUT = 300.0, 120.0
#: gunicorn's worker timeout under callgrind: loading a Django or Flask app
#: there can outlast its default (30 s) on a loaded machine, and the master
#: would kill the worker it is waiting for.
GUNICORN_TIMEOUT = "600"


# -- Reading callgrind's output -------------------------------------------------


def total_instructions(text: str) -> int:
    """The instructions (event ``Ir``) a callgrind output file counts in all.

    Read from its ``totals:`` line, else its ``summary:`` line, each holding
    one figure per event of the ``events:`` line.
    """
    events: list[str] = []
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, colon, rest = line.partition(":")
        if not colon:
            continue
        if name == "events" and not events:
            events = rest.split()
        elif name in ("totals", "summary"):
            found.setdefault(name, rest.split())
    figures = found.get("totals") or found.get("summary")
    if figures is None or "Ir" not in events:
        raise ValueError("not a callgrind output file: no events with Ir, or no totals")
    position = events.index("Ir")
    # callgrind leaves out trailing zero figures.
    return int(figures[position]) if position < len(figures) else 0


@dataclass(frozen=True)
class Count:
    """What one run of a server under callgrind counted: its requests, its instructions."""

    requests: int
    instructions: int


def per_request(short: Count, long: Count) -> float:
    """Instructions one request costs: the extra instructions of the longer run
    over its extra requests (what both runs share, such as starting, cancels)."""
    extra = long.requests - short.requests
    if extra <= 0:
        raise ValueError(f"the long run must serve more requests: {short} and {long}")
    return (long.instructions - short.instructions) / extra


# -- The comparisons ------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """A safety comparison on one server: its guarded and unguarded cells, and the goal."""

    server: str
    guard: str
    guarded: str
    unguarded: str
    goal: float | None

    @property
    def label(self) -> str:
        return f"{self.server} {self.guard}"


def pairs(servers: list[str], groups: list[str]) -> list[Pair]:
    """The safety comparisons of ``groups`` (:data:`SAFETY`) on every server, as in ``run.py``."""
    return [
        Pair(server, label, guarded, unguarded, goal)
        for group in groups
        for server in servers
        for label, guarded, unguarded, goal in SAFETY[group]
    ]


@dataclass(frozen=True)
class Row:
    """One comparison's result: instructions per request on both cells."""

    pair: Pair
    guarded: float
    unguarded: float

    @property
    def ratio(self) -> float:
        """Unguarded over guarded: ``run.py``'s CPU ratio, above 1 when the guard is free."""
        return self.unguarded / self.guarded

    @property
    def met(self) -> bool | None:
        return None if self.pair.goal is None else self.ratio >= self.pair.goal


def table(rows: list[Row]) -> str:
    """A markdown table of ``rows``, as ``run.py``'s safety table."""
    lines = [
        "| comparison | guarded instructions/req | unguarded instructions/req "
        "| guarded - unguarded | **ratio** | goal | met |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        goal = "-" if r.pair.goal is None else f"≥ {r.pair.goal}x"
        met = {None: "-", True: "yes", False: "**NO**"}[r.met]
        lines.append(
            f"| {r.pair.label} | {r.guarded:,.0f} | {r.unguarded:,.0f} "
            f"| {r.guarded - r.unguarded:,.0f} | **{r.ratio:.3f}x** | {goal} | {met} |"
        )
    return "\n".join(lines)


def exit_status(rows: list[Row]) -> int:
    """0 when no goal is missed, 2 when one is (as ``run.py``)."""
    return 2 if any(r.met is False for r in rows) else 0


# -- Running a cell under callgrind ---------------------------------------------


def callgrind_argv(spec: ServerSpec, port: int, out: Path) -> list[str]:
    """``run.py``'s command for ``spec``, under callgrind, one output file per process."""
    argv = spec.argv(port)
    if spec.kind == "gunicorn":
        argv[-1:-1] = ["--timeout", GUNICORN_TIMEOUT]
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", *argv]


def server_env(spec: ServerSpec, trusted_proxies: int = 1) -> dict[str, str]:
    """``run.py``'s environment for the ajaxkit side of ``spec``, made reproducible.

    ``trusted_proxies``: the bench app's ``trusted_proxies`` (see ``--trusted-proxies``).
    """
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "BENCH_ASGI_HANDLERS": "async",
        # Bytecode written by one run would make the next one's imports cheaper.
        "PYTHONDONTWRITEBYTECODE": "1",
        # The same string hashes, so the same dict layouts, in every run.
        "PYTHONHASHSEED": "0",
        **dict(spec.env),
        "BENCH_SIDE": "ajax",
        "BENCH_TRUSTED_PROXIES": str(trusted_proxies),
    }


def count(
    spec: ServerSpec,
    cell: str,
    requests: int,
    work: Path,
    rotate: int,
    *,
    trusted_proxies: int = 1,
) -> Count:
    """Start ``spec`` under callgrind, send ``cell``'s request ``requests`` times
    (a rate-limited one from ``rotate`` addresses in turn), stop it; what
    callgrind counted in the process that served them."""
    started = time.monotonic()
    port = free_port()
    run = f"{spec.name}-{cell}-{requests}"
    out, log = work / f"callgrind.{run}", work / f"{run}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            callgrind_argv(spec, port, out),
            cwd=ROOT,
            env=server_env(spec, trusted_proxies),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(spec, "ajax", port, process, log)
    try:
        wait_ready(server, START_TIMEOUT)
        send(server, cell, requests, rotate)
    finally:
        stop(process)
    served = served_by(sorted(work.glob(f"{out.name}.*")), process.pid)
    counted = Count(requests, total_instructions(served.read_text(errors="replace")))
    print(
        f"   {spec.name} {cell}, {requests} requests: {counted.instructions:,} instructions"
        f" ({time.monotonic() - started:.0f} s)",
        flush=True,
    )
    return counted


def send(server: Server, cell: str, requests: int, rotate: int = ADDRESSES) -> None:
    """``requests`` times ``cell``'s request, as wrk sends it; raise on any answer but a 200.

    A cell wrk sends from many addresses is sent from ``rotate`` in turn
    (see :data:`ADDRESSES`).  Checks the cell's answer first (and fetches
    the CSRF token its headers carry).
    """
    load = LOADS[cell]
    if load.csrf is not None:
        fetch_csrf_token(server)
    checked_answer(server, cell)
    headers = request_headers(server, load)
    body = json.dumps(ECHO_BODY).encode() if load.body else None
    if body is not None:
        headers["Content-Type"] = "application/json"
    path = f"/{server.side}/{load.path}"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for address in addresses(rotate if load.keys else 0, requests):
            forwarded = {"X-Forwarded-For": address} if address else {}
            status = exchange(connection, path, body, headers | forwarded)
            if status != 200:
                raise RuntimeError(f"{server.spec.name} {cell}: answered {status}")
    finally:
        connection.close()


def addresses(keys: int, requests: int) -> Iterator[str]:
    """The client address of each request: ``keys`` of them in turn as wrk's
    ``bench.lua`` rotates them, or none (``""``) when ``keys`` is 0."""
    for i in range(requests):
        if not keys:
            yield ""
            continue
        n = (i + 1) % keys  # bench.lua starts at its second address
        yield f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def exchange(
    connection: http.client.HTTPConnection, path: str, body: bytes | None, headers: dict[str, str]
) -> int:
    """One request and its whole answer; the status.

    Only ``Host``, ``Content-Length`` and ``headers`` are sent, as wrk sends
    them (``http.client`` would add ``Accept-Encoding``).  A server that
    closes the connection after each answer (gunicorn's sync worker) is
    reconnected to.
    """
    connection.putrequest("POST" if body is not None else "GET", path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    return response.status


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT, as Ctrl-C: uvicorn and gunicorn exit cleanly, and callgrind writes its files."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise RuntimeError("the server did not stop on SIGINT") from None


def served_by(files: list[Path], leader: int) -> Path:
    """The output file of the process that served the requests.

    A uvicorn server is one process.  gunicorn's master forks its worker:
    two files, and the master's counts time (it wakes up every second), not
    requests, so it is left out.
    """
    if len(files) == 1:
        return files[0]
    workers = [f for f in files if not f.name.endswith(f".{leader}")]
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker's callgrind file, found {len(workers)}")
    return workers[0]


# -- The command ----------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--servers",
        nargs="+",
        choices=list(SERVERS),
        default=list(DEFAULT_SERVERS),
        help=f"default: {' '.join(DEFAULT_SERVERS)}",
    )
    parser.add_argument("--guards", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument(
        "--requests",
        nargs=2,
        type=int,
        default=list(REQUESTS),
        metavar=("SHORT", "LONG"),
        help=f"requests of each cell's two runs (default {REQUESTS[0]} {REQUESTS[1]}), "
        "each above --addresses for the limits",
    )
    parser.add_argument(
        "--addresses",
        type=int,
        default=ADDRESSES,
        help=f"client addresses the rate-limited pair rotates over (default {ADDRESSES}; "
        f"wrk's {KEYS} at wrk's rate send as many requests per address per window)",
    )
    parser.add_argument(
        "--trusted-proxies",
        type=int,
        default=1,
        help="the bench app's trusted_proxies (default 1: X-Forwarded-For names the client); "
        "0 keys the limit by the address the server hands over, which uvicorn resolves "
        "from X-Forwarded-For itself (--proxy-headers, trusting 127.0.0.1)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="servers under callgrind at once (default 2)"
    )
    args = parser.parse_args(argv)
    short, long = args.requests
    if not short < long:
        parser.error("--requests: the second run must be the longer")
    if args.addresses < 1:
        parser.error("--addresses: at least one")
    if args.trusted_proxies < 0:
        parser.error("--trusted-proxies: 0 or more")
    unresolved = [name for name in args.servers if SERVERS[name].kind != "uvicorn"]
    if args.trusted_proxies == 0 and unresolved:
        # gunicorn hands over its peer, the client sending the load, as it is.
        parser.error(f"--trusted-proxies 0: {', '.join(unresolved)} do not resolve the address")
    if "limits" in args.guards and short <= args.addresses:
        parser.error(f"--requests: the limits need more than {args.addresses} requests a run")
    return args


def measure(
    measured: list[Pair],
    requests: tuple[int, int],
    jobs: int,
    rotate: int = ADDRESSES,
    trusted_proxies: int = 1,
) -> list[Row]:
    """Count each cell of ``measured`` twice (``jobs`` servers at a time, a
    rate-limited cell from ``rotate`` addresses); a row per pair."""
    cells = list(dict.fromkeys((p.server, c) for p in measured for c in (p.guarded, p.unguarded)))
    runs = [(server, cell, n) for server, cell in cells for n in requests]
    with (
        tempfile.TemporaryDirectory(prefix="ajaxkit-instructions-") as work,
        ThreadPoolExecutor(jobs) as pool,
    ):
        counted = list(
            pool.map(
                lambda run: count(
                    SERVERS[run[0]],
                    run[1],
                    run[2],
                    Path(work),
                    rotate,
                    trusted_proxies=trusted_proxies,
                ),
                runs,
            )
        )
    counts = dict(zip(runs, counted, strict=True))
    short, long = requests
    cost = {
        (server, cell): per_request(counts[server, cell, short], counts[server, cell, long])
        for server, cell in cells
    }
    return [Row(p, cost[p.server, p.guarded], cost[p.server, p.unguarded]) for p in measured]


def main(argv: list[str] | None = None) -> int:
    """Count every cell of the chosen comparisons, print the table; the exit status."""
    args = parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind not found (Debian: apt-get install -y valgrind)")
        return 1
    rows = measure(
        pairs(args.servers, args.guards),
        tuple(args.requests),
        args.jobs,
        args.addresses,
        args.trusted_proxies,
    )
    print(table(rows))
    return exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
