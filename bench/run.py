"""Benchmark ajaxkit against each framework's own JSON views, over real HTTP.

Run from the repository root, with the repository's ``.venv`` and the
``bench`` extra installed (``.venv/bin/pip install -e '.[bench]'``); ``run.py``
also needs the Debian package ``wrk`` (see ``bench/README.md``)::

    .venv/bin/python bench/run.py --quick                 # a smoke run (~1 min)
    .venv/bin/python bench/run.py                         # the measured run
    .venv/bin/python bench/run.py --frameworks starlette fastapi
    .venv/bin/python bench/run.py --endpoints csrf limits limits-redis   # safety

Each server (one worker) runs pinned to CPU 0 and ``wrk`` pinned to CPU 1,
both on 127.0.0.1 only.  Every framework gets two servers, one serving
``/raw/*`` (the framework's idiom) and one ``/ajax/*`` (ajaxkit), all started
up front and left running, so each raw/ajaxkit pair is measured back to back
against warm processes, in alternating order, for several rounds.  The
safety comparisons (``--endpoints csrf limits limits-redis``) set an ajaxkit
endpoint with the CSRF step or a rate limit against its unguarded twin on the
same server, and the same guard by the package a user of the framework would
install instead (:mod:`bench.peers`) against its own twin, on a third server
serving ``/peer/*``.  See ``bench/README.md`` for how to read the output.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.harness.checks import ready_servers  # noqa: E402
from bench.harness.comparisons import comparisons  # noqa: E402
from bench.harness.loads import SAFETY  # noqa: E402
from bench.harness.measurement import benchmark  # noqa: E402
from bench.harness.options import parse_args, plan  # noqa: E402
from bench.harness.report import environment, markdown, save  # noqa: E402
from bench.harness.servers import running  # noqa: E402
from bench.harness.summary import summarise  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Start the servers, check them, measure, print and save; the exit status (0, 1 or 2)."""
    args = parse_args(argv, __doc__)
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
    with running(plan(args), env, args.pin) as stack:
        servers = ready_servers(stack, safety=bool(set(args.endpoints) & set(SAFETY)))
        measured = [
            c
            for c in comparisons(args.servers, args.endpoints)
            if (c.top.server, c.top.side) in servers and (c.bottom.server, c.bottom.side) in servers
        ]
        if not measured:
            print("no server could be benchmarked")
            return 1
        samples = benchmark(servers, measured, args)
        info["servers"] = {f"{n} {side}": s.info for (n, side), s in servers.items()}
    info["loadavg_after"] = os.getloadavg()
    summary = summarise(samples, measured)
    table = markdown(summary)
    print(f"\nload average after: {info['loadavg_after']}\n\n{table}")
    save(args, info, samples, summary, table)
    return 0 if all(r["met"] is not False for r in summary["rows"]) else 2


if __name__ == "__main__":
    sys.exit(main())
