"""One wrk run against one cell, with ``bench/wrk/bench.lua``'s settings."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from typing import Any

from bench.apps.data import ECHO_BODY
from bench.harness.checks import request_headers
from bench.harness.loads import LOADS
from bench.harness.servers import LOAD_CPU, ROOT, Server, pinned

LUA = ROOT / "bench" / "wrk" / "bench.lua"


class BadAnswers(RuntimeError):
    """A timed run got a non-2xx answer or a socket error: its numbers mean nothing."""


def wrk_env(server: Server, endpoint: str) -> dict[str, str]:
    """What ``bench.lua`` sends to ``endpoint`` of ``server``, as its environment."""
    load = LOADS[endpoint]
    headers = request_headers(server, load)
    return {
        "BENCH_BODY": json.dumps(ECHO_BODY) if load.body else "",
        "BENCH_HEADERS": "".join(f"{name}: {value}\n" for name, value in headers.items()),
        "BENCH_KEYS": str(load.keys),
    }


def run_wrk(
    server: Server, endpoint: str, seconds: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One wrk run against ``endpoint`` of ``server``; raises :class:`BadAnswers` on any non-2xx."""
    url = server.url(endpoint)
    return wrk_url(url, wrk_env(server, endpoint), seconds, args.connections, args.pin)


def wrk_url(
    url: str, bench_env: dict[str, str], seconds: int, connections: int, pin: bool
) -> dict[str, Any]:
    """One wrk run against ``url`` with ``bench.lua``'s settings; raises on any non-2xx."""
    env = {**os.environ, **bench_env}
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
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            refuse_bad_answers(url, result)
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def refuse_bad_answers(url: str, result: dict[str, Any]) -> None:
    """Raise :class:`BadAnswers` when any answer was not a 2xx or any socket failed.

    wrk counts a 404 or a 500 as a request like any other (and only 4xx/5xx
    as "status errors"), so a broken side would otherwise be timed as fast.
    """
    errors = result["errors"]
    if errors["non_2xx"] or any(errors[k] for k in ("connect", "read", "write", "timeout")):
        raise BadAnswers(
            f"{url}: {errors['non_2xx']} non-2xx answers (last status "
            f"{errors['last_bad_status']}) and socket errors {errors}: not timing a broken cell"
        )
