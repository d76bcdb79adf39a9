"""The benchmark under ``bench/`` still works: its apps answer, its arithmetic is right.

The benchmark itself is not run here (it needs a quiet machine and minutes);
these tests keep it from rotting as the integrations change.  The client's
size is the exception: a byte count is deterministic, so its budget is
asserted here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bench import batch, batch_browser, peers
from bench.apps.data import ECHO_BODY, SMALL, USERS, wrong_answer
from bench.harness.checks import BrokenPeer, ready_servers
from bench.harness.comparisons import FASTAPI_LABEL, Cell, Comparison, comparisons
from bench.harness.loads import LOADS
from bench.harness.measurement import Sample
from bench.harness.options import parse_args, plan
from bench.harness.report import markdown
from bench.harness.servers import (
    ALL_SERVERS,
    PEER,
    REDIS_SERVERS,
    REDIS_URI,
    SERVERS,
    Plan,
    running,
)
from bench.harness.summary import summarise
from bench.harness.wrk import BadAnswers, refuse_bad_answers
from tests.js_dev import js_dev_tools
from tests.services import require_browser

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django
@pytest.mark.flask
@pytest.mark.starlette
@pytest.mark.fastapi
def test_every_bench_app_answers_every_endpoint_correctly() -> None:
    # profile_pipeline checks each answer (status and JSON) before timing it,
    # each side of each framework in its own process, as the HTTP run serves them.
    output = _bench("bench/profile_pipeline.py", "-n", "3", "--no-profile")
    for target in SERVERS:
        assert f"=== {target} " in output


def _bench(*argv: str, timeout: float = 300, ok: tuple[int, ...] = (0,)) -> str:
    """Run ``python <argv>`` from the repository root, this tree's code first; its output.

    A bench script exits non-zero when an answer it checks is wrong, so a
    return code outside ``ok`` fails the test with what it printed.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode in ok, done.stdout + done.stderr
    return done.stdout


def _bench_module(module: str, *args: str) -> str:
    """Run ``python -m <module> <args>`` from the repository root; its output."""
    return _bench("-m", module, *args)


def test_the_input_cost_bench_checks_its_answers() -> None:
    # input_cost.py exits non-zero when a shape is not answered as expected.
    output = _bench("bench/input_cost.py", "--rounds", "1", "--size", "20000", timeout=120)
    assert "tiny-objects" in output


@pytest.mark.django
@pytest.mark.flask
def test_the_view_decorator_bench_checks_its_views_answer() -> None:
    # wrap_cost.py exits non-zero when a view's answer is wrong, before timing.
    args = ["-n", "3", "--decorations", "3", "--rounds", "1"]
    output = _bench("bench/wrap_cost.py", *args, timeout=120)
    assert "request, CBV method_decorator" in output


@pytest.mark.fastapi
@pytest.mark.flask
@pytest.mark.starlette
def test_the_mount_bench_checks_its_mounts_answer() -> None:
    # mount_cost.py exits non-zero when a mount's answer is wrong, before timing.
    args = ["--endpoints", "3", "--mounts", "2", "--rounds", "1"]
    output = _bench("bench/mount_cost.py", *args, timeout=120)
    assert "fastapi.front" in output


@pytest.mark.slow
@pytest.mark.django
@pytest.mark.starlette
def test_the_batch_bench_runs_on_every_server() -> None:
    out = _bench_module("bench.batch", "--rounds", "1", "--calls", "3")
    assert [line.split()[0] for line in out.splitlines()[1:]] == list(batch.APPS)


@pytest.mark.django
@pytest.mark.starlette
def test_the_in_process_batch_bench_checks_its_answers_on_every_app() -> None:
    # Each app's first batch is checked (the items' answers, in order) before timing.
    out = _bench_module("bench.batch", "--in-process", "--calls", "3", "--batches", "1")
    assert [line.split()[0] for line in out.splitlines()[1:]] == list(batch.APPS)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django
@pytest.mark.starlette
def test_the_browser_batch_bench_runs_on_every_server_and_checks_its_rounds() -> None:
    # Every round is checked inside the script (one _batch request, or one GET
    # per call; the same answers on both sides), so exit status 0 means the
    # page's client really coalesced.  The figures are not looked at.
    chromium = require_browser()
    out = _bench_module(
        "bench.batch_browser", "--rounds", "2", "--calls", "3", "--chromium", chromium
    )
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [r[0] for r in rows] == list(batch.APPS)
    assert all(r[-1] in ("yes", "no") for r in rows)


def test_the_browser_batch_ratios_are_paired_round_by_round() -> None:
    timings = batch_browser.Timings(batch=[1.0, 10.0, 4.0], separate=[30.0, 40.0, 8.0])
    assert timings.median("separate") / timings.median("batch") == pytest.approx(7.5)
    assert timings.paired_ratio() == pytest.approx(4.0)  # of 30, 4 and 2
    assert batch_browser.expected(2) == [
        {"n": 0, "name": "item 0", "tags": ["a", "b"]},
        {"n": 1, "name": "item 1", "tags": ["a", "b"]},
    ]


def test_wrong_answers_are_recognised() -> None:
    assert wrong_answer("small", SMALL) is None
    assert wrong_answer("echo", ECHO_BODY) is None
    assert wrong_answer("small", {"message": "Hi"}) is not None
    assert wrong_answer("echo", {}) is not None
    iso = [{**u, "date_joined": u["date_joined"].isoformat()} for u in USERS]
    iso = [{**u, "last_login": u["last_login"].isoformat().replace("+00:00", "Z")} for u in iso]
    assert wrong_answer("users", iso) is None
    assert wrong_answer("users", iso[:99]) is not None
    assert wrong_answer("users", [{"id": u["id"]} for u in USERS]) is not None


def test_users_answers_are_checked_value_by_value() -> None:
    iso = [
        {
            **u,
            "date_joined": u["date_joined"].isoformat(),
            "last_login": u["last_login"].isoformat(),
        }
        for u in USERS
    ]
    wrong_email = [dict(u) for u in iso]
    wrong_email[41]["email"] = "someone@else.example"
    assert "email" in (wrong_answer("users", wrong_email) or "")
    wrong_time = [dict(u) for u in iso]
    wrong_time[3]["date_joined"] = "2020-01-01T00:00:00+00:00"
    assert "date_joined" in (wrong_answer("users", wrong_time) or "")
    # Flask writes HTTP dates: whole seconds, GMT.  Right to the second is right.
    http_dates = [
        {**u, "last_login": format_datetime(USERS[i]["last_login"], usegmt=True)}
        for i, u in enumerate(iso)
    ]
    assert wrong_answer("users", http_dates) is None
    off_by_a_second = [dict(u) for u in http_dates]
    later = USERS[7]["last_login"] + timedelta(seconds=1)
    off_by_a_second[7]["last_login"] = format_datetime(later, usegmt=True)
    assert wrong_answer("users", off_by_a_second) is not None
    # Django's encoder keeps milliseconds ("...:01.000Z" for one microsecond past).
    millis = [
        {**u, "last_login": f"{USERS[i]['last_login']:%Y-%m-%dT%H:%M:%S}.000Z"}
        for i, u in enumerate(iso)
    ]
    assert wrong_answer("users", millis) is None


def test_a_run_with_any_non_2xx_answer_or_socket_error_is_refused() -> None:
    quiet = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    refuse_bad_answers("u", {"errors": {**quiet, "non_2xx": 0, "last_bad_status": 0}})
    with pytest.raises(BadAnswers, match=r"3 non-2xx answers \(last status 302"):
        refuse_bad_answers("u", {"errors": {**quiet, "non_2xx": 3, "last_bad_status": 302}})
    with pytest.raises(BadAnswers):
        refuse_bad_answers(
            "u", {"errors": {**quiet, "read": 1, "non_2xx": 0, "last_bad_status": 0}}
        )


def _sample(
    comparison: str,
    cell: Cell,
    round_: int,
    rps: float,
    *,
    attempt: int = 0,
    noisy: bool = False,
) -> Sample:
    return Sample(
        comparison=comparison,
        server=cell.server,
        endpoint=cell.endpoint,
        side=cell.side,
        round=round_,
        attempt=attempt,
        requests=int(rps),
        seconds=1.0,
        rps=rps,
        p50_ms=1.0,
        p99_ms=2.0,
        cpu_us_per_request=1e6 / rps,
        server_cpu_share=0.5 if noisy else 1.0,
        errors={},
        noisy=noisy,
    )


def _pair(
    comparison: Comparison, round_: int, top: float, bottom: float, **kw: Any
) -> list[Sample]:
    return [
        _sample(comparison.label, comparison.top, round_, top, **kw),
        _sample(comparison.label, comparison.bottom, round_, bottom, **kw),
    ]


def test_every_ratio_is_a_median_of_pairs_measured_back_to_back() -> None:
    measured = comparisons(["starlette", "fastapi"], ["small"])
    small, _, versus_fastapi = measured
    assert versus_fastapi.label == FASTAPI_LABEL
    assert (versus_fastapi.top, versus_fastapi.bottom) == (
        Cell("starlette", "small", "ajax"),
        Cell("fastapi", "small", "raw"),
    )
    samples = _pair(small, 0, 950.0, 1000.0)
    samples += _pair(small, 1, 1700.0, 2000.0)  # a loaded round: both slow, the ratio low
    samples += _pair(small, 2, 1000.0, 1000.0)
    for round_ in range(3):
        samples += _pair(measured[1], round_, 400.0, 400.0)
    # The FastAPI comparison pairs its own runs, not the Starlette pair's.
    samples += _pair(versus_fastapi, 0, 900.0, 400.0)
    samples += _pair(versus_fastapi, 1, 1000.0, 500.0)
    samples += _pair(versus_fastapi, 2, 300.0, 100.0)
    rows = {r["label"]: r for r in summarise(samples, measured)["rows"]}

    assert rows["starlette small"]["ratio_rps"] == pytest.approx(0.95)  # of 0.95, 0.85, 1.0
    assert rows["starlette small"]["ratio_cpu"] == pytest.approx(0.95)
    assert rows["starlette small"]["met"] is True
    assert rows[FASTAPI_LABEL]["ratio_rps"] == pytest.approx(2.25)  # of 2.25, 2.0, 3.0
    assert rows[FASTAPI_LABEL]["met"] is True
    assert "| starlette small |" in markdown(summarise(samples, measured))


def test_noisy_rounds_are_rerun_and_only_quiet_final_attempts_count() -> None:
    (small,) = comparisons(["starlette"], ["small"])
    samples = _pair(small, 0, 500.0, 1000.0, noisy=True)  # re-run below
    samples += _pair(small, 0, 960.0, 1000.0, attempt=1)
    samples += _pair(small, 1, 800.0, 1000.0, noisy=True)  # never quiet: left out
    samples += _pair(small, 2, 860.0, 1000.0)
    (row,) = summarise(samples, [small])["rows"]
    assert (row["rounds"], row["quiet_rounds"]) == (3, 2)
    assert row["ratio_rps"] == pytest.approx(0.91)  # of 0.96 and 0.86
    assert row["met"] is True


def test_a_target_is_met_only_by_both_req_s_and_cpu_per_request() -> None:
    (small,) = comparisons(["flask"], ["small"])
    samples = _pair(small, 0, 950.0, 1000.0)
    samples[0].cpu_us_per_request = 2000.0  # ajaxkit twice as costly by CPU
    (row,) = summarise(samples, [small])["rows"]
    assert row["ratio_rps"] == pytest.approx(0.95)
    assert row["met"] is False


def _client_size(*args: str) -> subprocess.CompletedProcess[str]:
    js_dev_tools()  # the locked esbuild; skips (or fails in CI) without node
    return subprocess.run(
        [sys.executable, "bench/client_size.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_client_size_meets_its_budget() -> None:
    done = _client_size()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "budget: bundled, gzipped <= 8192 B: met" in done.stdout


def test_client_size_over_budget_is_a_miss() -> None:
    # Just under what the bundle measures: the budget line turns, and so does the status.
    met = _client_size()
    measured = int(met.stdout.rsplit("(", 1)[1].split(" B)")[0])
    done = _client_size("--budget", str(measured - 1))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"<= {measured - 1} B: missed ({measured} B)" in done.stdout
    assert _client_size("--budget", str(measured)).returncode == 0


def test_each_safety_comparison_sets_a_guarded_cell_against_its_twin_on_one_server() -> None:
    measured = comparisons(["flask"], ["csrf", "limits", "limits-redis"])
    labels = [c.label for c in measured]
    assert labels == [
        "flask csrf fetch",
        "flask csrf token",
        "flask csrf token (Flask-WTF)",
        "flask 100/second memory",
        "flask 100/second memory (Flask-Limiter)",
        "flask 100/second redis",
        "flask small with Flask-Limiter, Flask-WTF installed",
    ]
    for comparison in measured[:-1]:
        top, bottom = comparison.top, comparison.bottom
        assert (top.server, top.side) == (bottom.server, bottom.side)
        guarded, twin = LOADS[top.endpoint], LOADS[bottom.endpoint]
        # The same request but for the path: only the guard differs.
        assert guarded.path != twin.path
        assert (guarded.body, guarded.csrf, guarded.keys) == (twin.body, twin.csrf, twin.keys)
    assert measured[-2].top.server == "flask+redis"
    assert REDIS_SERVERS["flask+redis"].env == (("BENCH_RATE_STORAGE", REDIS_URI),)
    # Every client address stays far below 100/second at any rate wrk reaches here.
    assert LOADS["limited"].keys * 100 >= 100_000


def test_quick_changes_the_timing_defaults_and_given_options_win() -> None:
    timing = ("rounds", "duration", "warmup")
    assert [getattr(parse_args([]), name) for name in timing] == [3, 5, 1]
    assert [getattr(parse_args(["--quick"]), name) for name in timing] == [1, 1, 1]
    given = parse_args(["--quick", "--warmup", "0", "--rounds", "2"])
    assert [getattr(given, name) for name in timing] == [2, 1, 0]


@pytest.mark.slow
@pytest.mark.starlette
@pytest.mark.redis
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs the wrk load generator")
def test_the_safety_comparisons_run_over_real_http(tmp_path: Path) -> None:
    # One second per cell: whether the path works (servers answer, guards are
    # on, wrk's requests all succeed, Redis is counted), not how fast it is,
    # so no warm-up either: it only steadies figures nobody looks at here.
    output = tmp_path / "safety.json"
    argv = ["--quick", "--warmup", "0", "--retries", "0", "--frameworks", "starlette-front"]
    argv += ["--output", str(output), "--endpoints", "csrf", "limits", "limits-redis"]
    _bench("bench/run.py", *argv, ok=(0, 2))  # 2: a target missed
    rows = {r["label"]: r for r in json.loads(output.read_text())["rows"]}
    assert set(rows) == {
        "starlette-front csrf fetch",
        "starlette-front csrf token",
        "starlette-front 100/second memory",
        "starlette-front 100/second redis",
    }
    assert rows["starlette-front 100/second redis"]["redis_round_trips"] > 0


def test_each_peer_is_measured_as_ajaxkit_is_on_the_raw_views_peer_side() -> None:
    measured = comparisons(list(SERVERS), ["csrf", "limits", "limits-redis"])
    ours = {(c.top.server, c.guard): c for c in measured if c.by == "ajaxkit"}
    theirs = [c for c in measured if c.by not in ("ajaxkit",) and c.guard != peers.TOLL]
    assert {(c.top.server, c.guard, c.by) for c in theirs} == {
        ("django-wsgi", "csrf token", "Django's CsrfViewMiddleware"),
        ("django-asgi", "csrf token", "Django's CsrfViewMiddleware"),
        ("flask", "csrf token", "Flask-WTF"),
        ("django-wsgi", "100/second memory", "django-ratelimit"),
        ("django-asgi", "100/second memory", "django-ratelimit"),
        ("flask", "100/second memory", "Flask-Limiter"),
        ("starlette", "100/second memory", "slowapi"),
        ("fastapi", "100/second memory", "slowapi"),
    }
    for peer in theirs:
        # The same two cells, requests and server as ajaxkit's, on the peer side;
        # reported beside ajaxkit's row, never judged by its goal.
        mine = ours[peer.top.server, peer.guard]
        assert (peer.top, peer.bottom) == (
            replace(mine.top, side=PEER),
            replace(mine.bottom, side=PEER),
        )
        assert peer.goal is None
        assert measured.index(peer) == measured.index(mine) + 1
    # What the peer side's packages cost the requests they do not guard: its
    # unguarded cell against the raw side's, once a server.
    tolls = [c for c in measured if c.guard == peers.TOLL]
    assert [c.top.server for c in tolls] == ["django-wsgi", "django-asgi", "flask", "starlette",
                                            "fastapi"]  # fmt: skip
    for toll in tolls:
        assert (toll.top.side, toll.bottom.side) == (PEER, "raw")
        assert toll.top.endpoint == toll.bottom.endpoint == "unlimited"


def test_peer_and_raw_sides_are_started_only_for_a_guard_with_a_peer() -> None:
    def sides(*argv: str) -> dict[str, tuple[str, ...]]:
        return {spec.name: s for spec, s in plan(parse_args(["--no-pin", *argv]))}

    assert sides("--frameworks", "starlette", "--endpoints", "csrf") == {
        "starlette": ("ajax",),  # Starlette has no CSRF peer
        "starlette-front": ("ajax",),
    }
    assert sides("--frameworks", "starlette", "--endpoints", "limits") == {
        "starlette": ("raw", "ajax", "peer"),
        "starlette-front": ("ajax",),  # its raw views are starlette's
    }
    assert sides("--frameworks", "flask", "--endpoints", "small") == {"flask": ("raw", "ajax")}


def _row(label: str, server: str, guard: str | None, by: str, cost: float) -> dict[str, Any]:
    spec = ALL_SERVERS[server]
    return {"label": label, "server": server, "framework": spec.framework,
            "has_peers": spec.peers, "guard": guard, "by": by, "cost_us": cost,
            "ratio_cpu": 0.9}  # fmt: skip


def test_each_peer_cost_is_set_beside_ajaxkits_on_its_framework() -> None:
    rows = [
        _row("starlette 100/second memory", "starlette", "100/second memory", "ajaxkit", 14.0),
        _row("x", "starlette", "100/second memory", "slowapi", 60.0),
        _row("y", "starlette-front", "100/second memory", "ajaxkit", 11.5),
        _row("z", "fastapi", "100/second memory", "ajaxkit", 99.0),  # another framework
        _row("t", "starlette", peers.TOLL, "slowapi", -2.0),
        _row("d", "django-wsgi", "csrf token", "ajaxkit", 68.0),
        _row("e", "django-wsgi", "csrf token", "Django's CsrfViewMiddleware", 27.0),
        _row("f", "django-asgi", "csrf token", "ajaxkit", 160.0),  # its own peer row
        _row("g", "django-wsgi", peers.TOLL, "django-ratelimit", 3.0),
    ]
    assert peers.cost_lines(rows) == [
        "- starlette 100/second memory: slowapi costs 60.0 µs of server CPU a request "
        "(0.90x by CPU); ajaxkit 14.0 µs on starlette (0.90x), 11.5 µs on starlette-front "
        "(0.90x); and with slowapi installed, an unguarded request of the same app costs "
        "-2.0 µs (the toll).",
        # The CSRF middleware is on every Django side: no toll of the peer side's.
        "- django-wsgi csrf token: Django's CsrfViewMiddleware costs 27.0 µs of server CPU "
        "a request (0.90x by CPU); ajaxkit 68.0 µs on django-wsgi (0.90x).",
    ]


def test_a_guards_cost_is_the_median_of_its_paired_cpu_differences() -> None:
    limit = next(c for c in comparisons(["starlette"], ["limits"]) if c.by == "slowapi")
    samples = _pair(limit, 0, 1000.0, 2000.0)  # 1000 and 500 µs a request
    samples += _pair(limit, 1, 500.0, 1000.0)  # 2000 and 1000
    samples += _pair(limit, 2, 800.0, 1000.0)  # 1250 and 1000
    (row,) = summarise(samples, [limit])["rows"]
    assert row["cost_us"] == pytest.approx(500.0)  # of 500, 1000 and 250
    assert (row["by"], row["guard"], row["met"]) == ("slowapi", "100/second memory", None)
    table = markdown(summarise(samples, [limit]))
    assert "| starlette 100/second memory (slowapi) | slowapi |" in table
    assert "| 500.0 |" in table


def _peer_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


@pytest.mark.slow
@pytest.mark.django
@pytest.mark.flask
@pytest.mark.starlette
@pytest.mark.fastapi
def test_every_peer_side_answers_right_and_guards() -> None:
    # What bench/run.py checks before timing anything: each peer answers the
    # requests wrk will send, refuses what it should (a missing token; a client
    # past 100 in a second, and no sooner), and counts each client apart.
    plan: Plan = [(spec, (PEER,)) for spec in SERVERS.values() if spec.peers]
    with running(plan, _peer_env(), pin=False) as stack:
        ready = ready_servers(stack, safety=True)
    assert set(ready) == {(spec.name, PEER) for spec, _ in plan}
    assert all("token" in ready[name, PEER].info["csrf"]
               for name in ("django-wsgi", "django-asgi", "flask"))  # fmt: skip


@pytest.mark.slow
@pytest.mark.starlette
def test_a_peer_that_would_refuse_the_benchmarks_requests_stops_the_run() -> None:
    # Its proxy not trusted, uvicorn leaves slowapi every client as 127.0.0.1:
    # wrk's 1,024 clients would count as one and be refused within the second.
    # The check's own earlier requests count too, so which of its two findings
    # comes first (too few admitted, another client refused) depends on the window.
    untrusting = replace(SERVERS["starlette"], env=(("FORWARDED_ALLOW_IPS", "192.0.2.250"),))
    with (
        running([(untrusting, (PEER,))], _peer_env(), pin=False) as stack,
        pytest.raises(BrokenPeer, match=r"slowapi refused (/peer/limited after \d+ re|another)"),
    ):
        ready_servers(stack, safety=True)
