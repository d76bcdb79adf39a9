"""What a run prints and saves: the markdown tables and the results document."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.harness.measurement import Sample
from bench.harness.servers import ROOT
from bench.peers import cost_lines

RESULTS = ROOT / "bench" / "results"


def markdown(summary: dict[str, Any]) -> str:
    """Two tables, ajaxkit against raw and guarded against unguarded, then what each
    peer costs beside ajaxkit, then the Redis round trips."""
    lines: list[str] = []
    versus = [r for r in summary["rows"] if r["guard"] is None]
    guarded = [r for r in summary["rows"] if r["guard"] is not None]
    if versus:
        lines += [*_table(versus, ("ajaxkit", "other", "a / o"), by=False), ""]
    if guarded:
        lines += [*_table(guarded, ("guarded", "unguarded", "g / u"), by=True), ""]
    costs = cost_lines(summary["rows"])
    if costs:
        lines += ["Server CPU a guard costs a request (guarded minus unguarded):", *costs, ""]
    for r in summary["rows"]:
        if "redis_round_trips" in r:
            # Below 0.01 a request: another client of the same Redis, not ours.
            found = sorted((n, c) for n, c in r["redis_commands"].items() if c >= 0.01)
            commands = ", ".join(f"{n} {c:.2f}" for n, c in found)
            lines += [
                f"{r['label']}: {r['redis_round_trips']:.2f} Redis round trips per request "
                f"(commands per request, Lua's included: {commands})",
                "",
            ]
    return "\n".join(lines).rstrip("\n")


def _table(rows: list[dict[str, Any]], names: tuple[str, str, str], by: bool) -> list[str]:
    """A markdown table of ``rows``; ``names``: the top and bottom cells' and both's
    column names; ``by``: a column naming who guards."""
    top, bottom, both = names
    lines = [
        f"| comparison |{' by |' if by else ''} {top} req/s | {bottom} req/s | **ratio** "
        f"| {top} CPU µs/req | {bottom} CPU µs/req | **CPU ratio** "
        f"| CPU µs/req {top} - {bottom} | p99 ms ({both}) | server CPU share ({both}) "
        "| quiet rounds | goal | met |",
        f"|---|{'---|' if by else ''}--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        who = f" {r['by']} |" if by else ""
        goal = f"≥ {r['goal']}x" if r["goal"] is not None else "-"
        met = {None: "-", True: "yes", False: "**NO**"}[r["met"]]
        cost = "-" if r["cost_us"] is None else f"{r['cost_us']:.1f}"
        lines.append(
            f"| {r['label']} |{who} {r['top_rps']:.0f} | {r['bottom_rps']:.0f} "
            f"| **{_x(r['ratio_rps'])}** | {r['top_cpu_us_per_request']:.0f} "
            f"| {r['bottom_cpu_us_per_request']:.0f} | **{_x(r['ratio_cpu'])}** | {cost} "
            f"| {r['top_p99_ms']:.2f} / {r['bottom_p99_ms']:.2f} "
            f"| {r['top_server_cpu_share']:.0%} / {r['bottom_server_cpu_share']:.0%} "
            f"| {r['quiet_rounds']}/{r['rounds']} | {goal} | {met} |"
        )
    return lines


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


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
                "limits",
                "redis",
                "slowapi",
                "flask-limiter",
                "flask-wtf",
                "django-ratelimit",
            )
        },
        "args": dict(vars(args)),
    }


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
