"""20 calls from ajaxkit.js in one tick: one coalesced batch vs 20 fetches, in Chromium.

The browser-side twin of bench/batch.py.  Each server (uvicorn; Starlette,
and Django under ASGI, from bench/batch_apps.py) also serves a page at ``/``
that imports the client from its mount (``/ajax/ajaxkit.js``).  In that page,
Chromium (headless, driven by Playwright) makes the same ``calls`` GETs in one
tick, once through ``createClient({coalesce: true})`` (one ``POST _batch``)
and once through ``createClient()`` (one fetch each, at most 6 connections at
a time: the browser's own HTTP/1.1 limit per host), and times each round with
``performance.now()``.  Rounds alternate which side goes first.  Every round
is checked: the requests Chromium sent (1 batch, or ``calls`` GETs) and the
answers, which must be the same on both sides.

    .venv/bin/python -m bench.batch_browser [--rounds 30] [--calls 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.batch import APPS, serving
from bench.batch_apps import MAX_ITEMS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("AJAXKIT_CHROMIUM", "/usr/bin/chromium")
# As in the browser tests: no sandbox (root in a container), and nothing that
# would make background requests of its own while rounds are timed.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIDES = ("batch", "separate")
#: The issue's target: separate / batched wall time.
GOAL = 5.0


class WrongRound(AssertionError):
    """A round sent other requests, or got other answers, than it should have."""


@dataclass
class Timings:
    """Wall times (ms, measured in the page) of each side, round by round."""

    batch: list[float] = field(default_factory=list)
    separate: list[float] = field(default_factory=list)

    def median(self, side: str) -> float:
        times: list[float] = getattr(self, side)
        return statistics.median(times)

    def paired_ratio(self) -> float:
        """The median of each round's separate / batch (the two measured back to back)."""
        return statistics.median(s / b for s, b in zip(self.separate, self.batch, strict=True))


def expected(calls: int) -> list[dict[str, Any]]:
    """What the ``item`` endpoint answers for n = 0 .. calls - 1."""
    return [{"n": n, "name": f"item {n}", "tags": ["a", "b"]} for n in range(calls)]


def run_round(page: Page, base: str, side: str, calls: int, sent: list[str]) -> float:
    """One round of ``side`` in the page, checked; its wall time in ms."""
    sent.clear()
    out = page.evaluate("([side, calls]) => window.benchRound(side, calls)", [side, calls])
    mount = f"{base}/ajax/"
    requested = sorted(url.removeprefix(mount) for url in sent if url.startswith(mount))
    wanted = ["_batch"] if side == "batch" else sorted(f"item?n={n}" for n in range(calls))
    if requested != wanted:
        raise WrongRound(f"{side}: the page requested {requested}, not {wanted}")
    if out["results"] != expected(calls):
        raise WrongRound(f"{side}: wrong answers {out['results']}")
    ms: float = out["ms"]
    return ms


def measure(browser: Browser, base: str, rounds: int, calls: int) -> Timings:
    """Warm up, then ``rounds`` pairs of rounds, alternating which side goes first."""
    context = browser.new_context()  # a fresh connection pool for each server
    try:
        page = context.new_page()
        sent: list[str] = []
        page.on("request", lambda request: sent.append(request.url))
        page.goto(f"{base}/?maxBatch={MAX_ITEMS}")
        page.wait_for_selector("html[data-ready=yes]", timeout=10_000)
        for side in SIDES:  # opens the connections, warms both servers' code
            run_round(page, base, side, calls, sent)
        timings = Timings()
        for round_ in range(rounds):
            for side in SIDES if round_ % 2 == 0 else SIDES[::-1]:
                getattr(timings, side).append(run_round(page, base, side, calls, sent))
        return timings
    finally:
        context.close()


def row(name: str, timings: Timings) -> str:
    """One line of the table."""
    separate, batch = timings.median("separate"), timings.median("batch")
    ratio, paired = separate / batch, timings.paired_ratio()
    met = "yes" if ratio >= GOAL else "no"
    return (
        f"{name:<12} {separate:>12.2f} {batch:>10.2f} {ratio:>7.2f}x {paired:>7.2f}x"
        f" {f'>= {GOAL:g}x':>7} {met:>4}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20, help=f"2 to {MAX_ITEMS}")
    parser.add_argument("--servers", nargs="+", choices=list(APPS), default=list(APPS))
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium executable")
    args = parser.parse_args()
    if not 2 <= args.calls <= MAX_ITEMS:  # a lone call is sent as itself, not batched
        parser.error(f"--calls must be 2 to {MAX_ITEMS} (the mount's max_items)")
    from playwright.sync_api import sync_playwright

    print(f"{args.calls} GETs per round, {args.rounds} rounds per side, median ms in the page")
    print(
        f"{'server':<12} {'separate ms':>12} {'batch ms':>10} {'ratio':>8} {'paired':>8}"
        f" {'goal':>7} {'met':>4}"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for name in args.servers:
                with serving(APPS[name]) as base:
                    print(row(name, measure(browser, base, args.rounds, args.calls)), flush=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
