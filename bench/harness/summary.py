"""From samples to one row per comparison: medians and paired ratios of quiet rounds."""

from __future__ import annotations

import statistics
from typing import Any

from bench.harness.comparisons import Cell, Comparison
from bench.harness.measurement import Sample
from bench.harness.servers import ALL_SERVERS

Pair = tuple[Sample, Sample]  # (top, bottom) of one round


def final_pairs(samples: list[Sample], comparison: Comparison) -> dict[int, Pair]:
    """Round -> the (top, bottom) of the last attempt at this comparison in that round."""
    latest: dict[int, int] = {}
    for s in samples:
        if s.comparison == comparison.label:
            latest[s.round] = max(latest.get(s.round, 0), s.attempt)
    halves: dict[int, dict[Cell, Sample]] = {}
    for s in samples:
        if s.comparison == comparison.label and s.attempt == latest[s.round]:
            halves.setdefault(s.round, {})[Cell(s.server, s.endpoint, s.side)] = s
    return {
        r: (cells[comparison.top], cells[comparison.bottom])
        for r, cells in sorted(halves.items())
        if comparison.top in cells and comparison.bottom in cells
    }


def paired_ratio(pairs: list[Pair], metric: str) -> float | None:
    """Median over rounds of top/bottom req/s (``cpu``: bottom/top CPU per request)."""
    if metric == "rps":
        ratios = [top.rps / bottom.rps for top, bottom in pairs if bottom.rps]
    else:
        ratios = [
            bottom.cpu_us_per_request / top.cpu_us_per_request
            for top, bottom in pairs
            if top.cpu_us_per_request
        ]
    return statistics.median(ratios) if ratios else None


def paired_cost(pairs: list[Pair]) -> float | None:
    """Median over rounds of top minus bottom server CPU per request, in µs:
    what the guard (or ajaxkit, or the installed peers) costs a request."""
    costs = [top.cpu_us_per_request - bottom.cpu_us_per_request for top, bottom in pairs]
    return statistics.median(costs) if costs else None


def row(samples: list[Sample], comparison: Comparison) -> dict[str, Any] | None:
    """Both sides' medians and the paired ratios of one comparison, quiet rounds only.

    When no round was quiet, every round is used and the row says so.
    """
    pairs = final_pairs(samples, comparison)
    if not pairs:
        return None
    quiet = [p for p in pairs.values() if not (p[0].noisy or p[1].noisy)]
    used = quiet or list(pairs.values())
    spec = ALL_SERVERS[comparison.top.server]
    found: dict[str, Any] = {
        "label": comparison.label,
        "goal": comparison.goal,
        "guard": comparison.guard,
        "by": comparison.by,
        "server": spec.name,
        "framework": spec.framework,
        "has_peers": spec.peers,
        "rounds": len(pairs),
        "quiet_rounds": len(quiet),
    }
    for index, side in enumerate(("top", "bottom")):
        for attribute in ("rps", "p99_ms", "cpu_us_per_request", "server_cpu_share"):
            values = [getattr(pair[index], attribute) for pair in used]
            found[f"{side}_{attribute}"] = float(statistics.median(values))
    trips = [p[0].redis_round_trips for p in used if p[0].redis_round_trips is not None]
    if trips:
        found["redis_round_trips"] = statistics.median(trips)
        last = [p[0].redis_commands for p in used if p[0].redis_commands is not None][-1]
        found["redis_commands"] = last
    found["ratio_rps"] = paired_ratio(used, "rps")
    found["ratio_cpu"] = paired_ratio(used, "cpu")
    found["cost_us"] = paired_cost(used)
    goal = comparison.goal
    found["met"] = (
        None
        if goal is None
        else bool(
            found["ratio_rps"] is not None
            and found["ratio_cpu"] is not None
            and min(found["ratio_rps"], found["ratio_cpu"]) >= goal
        )
    )
    return found


def summarise(samples: list[Sample], comparisons_: list[Comparison]) -> dict[str, Any]:
    rows = [row(samples, comparison) for comparison in comparisons_]
    return {"rows": [r for r in rows if r]}
