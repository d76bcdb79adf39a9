"""The benchmark under ``bench/`` still works: its apps answer, its arithmetic is right.

The benchmark itself is not run here (it needs a quiet machine and minutes);
these tests keep it from rotting as the integrations change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run
from bench.apps.data import ECHO_BODY, SMALL, USERS, wrong_answer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django
@pytest.mark.flask
@pytest.mark.starlette
@pytest.mark.fastapi
def test_every_bench_app_answers_every_endpoint_correctly() -> None:
    # profile_pipeline checks each answer (status and JSON) before timing it,
    # each side of each framework in its own process, as the HTTP run serves them.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "bench/profile_pipeline.py", "-n", "3", "--no-profile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for target in run.SERVERS:
        assert f"=== {target} " in done.stdout


def test_wrong_answers_are_recognised() -> None:
    assert wrong_answer("small", SMALL) is None
    assert wrong_answer("echo", ECHO_BODY) is None
    assert wrong_answer("small", {"message": "Hi"}) is not None
    assert wrong_answer("echo", {}) is not None
    records = [{**u, "date_joined": "x", "last_login": "y"} for u in USERS]
    assert wrong_answer("users", records) is None
    assert wrong_answer("users", records[:99]) is not None
    assert wrong_answer("users", [{"id": u["id"]} for u in USERS]) is not None


def _sample(server: str, endpoint: str, side: str, round_: int, rps: float) -> run.Sample:
    return run.Sample(
        server=server,
        endpoint=endpoint,
        side=side,
        round=round_,
        requests=int(rps),
        seconds=1.0,
        rps=rps,
        p50_ms=1.0,
        p99_ms=2.0,
        cpu_us_per_request=1e6 / rps,
        server_cpu_share=1.0,
        errors={},
    )


def test_ratios_are_paired_medians_and_targets_judge_them() -> None:
    rounds = {  # round -> (raw rps, ajaxkit rps) for starlette's small dict
        0: (1000.0, 950.0),
        1: (2000.0, 1700.0),  # a loaded round: both sides slow, and the ratio low
        2: (1000.0, 1000.0),
    }
    samples = [
        _sample("starlette", "small", side, r, rps)
        for r, pair in rounds.items()
        for side, rps in zip(("raw", "ajax"), pair)
    ]
    samples += [_sample("fastapi", "small", side, r, 400.0) for r in rounds for side in run.SIDES]
    summary = run.summarise(samples, ["starlette", "fastapi"])

    row = next(r for r in summary["rows"] if r["server"] == "starlette")
    assert row["ratio_rps"] == pytest.approx(0.95)  # median of 0.95, 0.85, 1.0
    assert row["ratio_cpu"] == pytest.approx(0.95)
    goals = {t["label"]: t for t in summary["targets"]}
    assert goals["starlette small"]["met"] is True
    assert goals["ajaxkit-Starlette small vs FastAPI small"]["ratio_rps"] == pytest.approx(2.5)
    assert "starlette users" not in goals  # not measured, so not judged
    assert "| starlette | small |" in run.markdown(summary)
