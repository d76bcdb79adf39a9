"""The command line of ``bench/run.py``, and the servers it plans to start."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from bench.apps.data import ENDPOINTS
from bench.harness.comparisons import peer_guards
from bench.harness.loads import SAFETY
from bench.harness.servers import (
    LOAD_CPU,
    PEER,
    REDIS,
    REDIS_SERVERS,
    SERVER_CPU,
    SERVERS,
    SIDES,
    Plan,
)

#: Rounds, seconds per measured run and seconds of warm-up per cell.
TIMING = {"rounds": 3, "duration": 5, "warmup": 1}
#: The same for ``--quick``, a check of the harness rather than a measurement.
QUICK = {"rounds": 1, "duration": 1, "warmup": 1}


def parse_args(argv: list[str] | None = None, description: str | None = None) -> argparse.Namespace:
    """``bench/run.py``'s options, the defaults ``--quick`` changes filled in;
    ``description`` is the help text (``run.py``'s docstring)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 1 s per cell, unless given otherwise: checks the harness",
    )
    parser.add_argument(
        "--frameworks",
        nargs="+",
        metavar="NAME",
        help=f"servers or frameworks (default all): {', '.join(SERVERS)}, django",
    )
    parser.add_argument(
        "--endpoints",
        nargs="+",
        choices=(*ENDPOINTS, *SAFETY),
        default=list(ENDPOINTS),
        help="ajaxkit vs raw endpoints, and/or safety comparisons (csrf, limits, limits-redis)",
    )
    parser.add_argument("--rounds", type=int, help="default 3 (--quick: 1)")
    parser.add_argument(
        "--duration", type=int, help="seconds per measured wrk run (default 5; --quick: 1)"
    )
    parser.add_argument(
        "--warmup", type=int, help="seconds of warm-up per cell, 0: none (default 1)"
    )
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--asgi-handlers",
        choices=("async", "sync"),
        default="async",
        help="handler kind on ASGI servers (both sides)",
    )
    parser.add_argument(
        "--min-share",
        type=float,
        default=0.7,
        help="a pair whose server got less of its CPU than this is noisy and re-run (0: never)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="re-runs of a noisy pair per round (default 2)"
    )
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin to CPUs 0 and 1"
    )
    parser.add_argument(
        "--output", type=Path, help="results JSON (default bench/results/<time>.json)"
    )
    args = parser.parse_args(argv)  # fmt: skip
    # --quick changes the defaults; what the command line gives still wins.
    for name, value in (QUICK if args.quick else TIMING).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    names = args.frameworks or list(SERVERS)
    args.servers = [s for s in SERVERS if s in names or SERVERS[s].framework in names]
    unknown = set(names) - set(SERVERS) - {s.framework for s in SERVERS.values()}
    if unknown or not args.servers:
        parser.error(
            f"unknown --frameworks {sorted(unknown)}; choose from {', '.join(SERVERS)}, django"
        )
    if "limits-redis" in args.endpoints and not redis_reachable():
        parser.error(f"limits-redis needs Redis on {REDIS[0]}:{REDIS[1]}")
    if args.pin and not {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0):
        print(f"CPUs {SERVER_CPU} and {LOAD_CPU} are not both available: not pinning.")
        args.pin = False
    return args


def plan(args: argparse.Namespace) -> Plan:
    """The servers to start, and their sides: raw for ajaxkit-vs-raw endpoints and
    for the peers' toll, the peer side where a chosen guard has a peer, the
    ``+redis`` twins (ajaxkit side only) for ``limits-redis``."""
    raw = any(e in ENDPOINTS for e in args.endpoints)
    ajax_only = not set(args.endpoints) <= {*ENDPOINTS, "limits-redis"}
    planned: Plan = []
    if raw or ajax_only:
        for name in args.servers:
            peers = (PEER,) if peer_guards(name, args.endpoints) else ()
            sides = (*SIDES, *peers) if raw or peers else ("ajax",)
            planned.append((SERVERS[name], sides))
    if "limits-redis" in args.endpoints:
        planned += [(REDIS_SERVERS[f"{n}+redis"], ("ajax",)) for n in args.servers]
    return planned


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False
