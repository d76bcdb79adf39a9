"""In-process checks, apart from the timed run: answers, shapes, queries, profiles.

``python -m bench.models.check --db sqlite|postgres [--json]`` requests every
target once through Django's test client and

* checks it answers 200 and that all three frameworks return the same
  records (same ids, fields and values; the nested author included) and the
  same total count;
* counts the SQL statements it runs (``connection.execute_wrapper``) and the
  transactions it commits (each one a ``BEGIN`` and a ``COMMIT`` more on the
  wire on PostgreSQL);
* times it in process (best of interleaved samples), a less noisy second
  opinion than the HTTP run.

``--profile ajaxkit-list`` instead runs one target under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.models.data import prepare
from bench.models.targets import DATABASES, GET_PK, NOTES, PAGE, TARGETS, target

_TX_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counting() -> Iterator[dict[str, Any]]:
    """Count data statements and transactions on the default connection."""
    from django.db import connection

    stats: dict[str, Any] = {"statements": [], "commits": 0}

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if not sql.lstrip().upper().startswith(_TX_CONTROL):
            stats["statements"].append(sql)
        return execute(sql, *args)

    commit = connection.commit

    def counted_commit() -> None:
        stats["commits"] += 1
        commit()

    connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(record):
            yield stats
    finally:
        del connection.commit


def _records(name: str, body: Any) -> tuple[list[dict[str, Any]], int | None]:
    if name.endswith("-get"):
        return [body], None
    items = body["items"] if name.startswith("ninja") else body["results"]
    return items, body["count"]


def _normal(record: dict[str, Any]) -> dict[str, Any]:
    # Frameworks spell UTC differently ("Z" or "+00:00"); compare instants.
    return {**record, "created_at": dt.datetime.fromisoformat(record["created_at"])}


def inspect_targets(repeat: int) -> dict[str, dict[str, Any]]:
    """Request every target; answers, query counts and in-process timings."""
    from django.test import Client

    client = Client()
    found: dict[str, dict[str, Any]] = {}
    for t in TARGETS:
        client.get(t.path)  # warm caches (URLconf, serializers, schemas)
        with counting() as stats:
            response = client.get(t.path)
        if response.status_code != 200:
            raise SystemExit(f"{t.name}: HTTP {response.status_code}: {response.content[:300]!r}")
        records, count = _records(t.name, json.loads(response.content))
        found[t.name] = {
            "status": response.status_code,
            "queries": len(stats["statements"]),
            "transactions": stats["commits"],
            "sql": stats["statements"],
            "bytes": len(response.content),
            "count": count,
            "records": [_normal(r) for r in records],
        }
    _compare(found)
    for name, micros in _time(client, repeat).items():
        found[name]["inproc_us"] = micros
    return found


def _time(client: Any, repeat: int, samples: int = 7) -> dict[str, float]:
    """Microseconds per request for every target, samples interleaved; the
    best sample is the one least disturbed by the other tenants of the machine."""
    taken: dict[str, list[float]] = {t.name: [] for t in TARGETS}
    for _ in range(samples):
        for t in TARGETS:
            start = time.perf_counter()
            for _ in range(repeat):
                client.get(t.path)
            taken[t.name].append((time.perf_counter() - start) / repeat * 1e6)
    return {name: round(min(values), 1) for name, values in taken.items()}


def _compare(found: dict[str, dict[str, Any]]) -> None:
    """Refuse to benchmark answers that are not the same data."""
    for op, size in (("list", PAGE), ("get", 1)):
        reference = found[f"ajaxkit-{op}"]
        if len(reference["records"]) != size or reference["records"][0]["id"] != (
            GET_PK if op == "get" else 1
        ):
            raise SystemExit(f"ajaxkit-{op}: unexpected records")
        for other in ("drf", "ninja"):
            theirs = found[f"{other}-{op}"]
            if theirs["records"] != reference["records"]:
                raise SystemExit(f"{other}-{op} and ajaxkit-{op} answer different records")
            if theirs["count"] != reference["count"]:
                raise SystemExit(f"{other}-{op}: count {theirs['count']} != {reference['count']}")
        if op == "list" and reference["count"] != NOTES:
            raise SystemExit(f"ajaxkit-list: count {reference['count']} != {NOTES}")


def profile(name: str, requests: int, top: int) -> None:
    """Run ``requests`` requests of target ``name`` under cProfile; print the top entries."""
    from django.test import Client

    client, t = Client(), target(name)
    for _ in range(50):
        client.get(t.path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(t.path)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def summary(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the harness keeps: everything but the records themselves."""
    return {name: {k: v for k, v in info.items() if k != "records"} for name, info in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=DATABASES, required=True)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--repeat", type=int, default=100, help="requests per timing sample")
    parser.add_argument("--profile", metavar="TARGET", help="profile this target instead")
    parser.add_argument("--requests", type=int, default=2000, help="requests to profile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    prepare(args.db)
    if args.profile:
        profile(args.profile, args.requests, args.top)
        return
    found = summary(inspect_targets(args.repeat))
    if args.json:
        print(json.dumps(found))
        return
    for name, info in found.items():
        print(
            f"{name:14} queries={info['queries']} transactions={info['transactions']} "
            f"bytes={info['bytes']} in-process={info['inproc_us']:.0f}us"
        )


if __name__ == "__main__":
    main()
