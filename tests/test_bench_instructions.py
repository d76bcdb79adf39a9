"""``bench/instructions.py``'s reading of callgrind's files and its arithmetic.

Counting needs valgrind and minutes, so it is not run here; what turns
callgrind's files into the table is.  ``data/callgrind.out`` is a real
output file, of ``valgrind --tool=callgrind --cache-sim=yes
--toggle-collect=exit /bin/true`` (small, and with several events).
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bench import instructions
from bench.harness.comparisons import safety_comparisons
from bench.harness.loads import KEYS
from bench.harness.servers import SERVERS
from bench.instructions import Count, Pair, Row

SAMPLE = Path(__file__).parent / "data" / "callgrind.out"


def test_the_total_is_read_from_the_totals_line() -> None:
    # Its summary line says 1244: callgrind's totals and summary may differ
    # (here, with collection toggled), and the totals are what it counted.
    assert instructions.total_instructions(SAMPLE.read_text()) == 1242


def test_without_a_totals_line_the_summary_is_read() -> None:
    text = "\n".join(
        line for line in SAMPLE.read_text().splitlines() if not line.startswith("totals:")
    )
    assert instructions.total_instructions(text) == 1244


def test_the_instructions_are_found_among_other_events() -> None:
    text = "events: Dr Ir Dw\nfn=(1) main\n0 3 4 5\ntotals: 3 4 5\n"
    assert instructions.total_instructions(text) == 4


def test_an_event_left_out_at_the_end_of_the_totals_counts_zero() -> None:
    assert instructions.total_instructions("events: Dr Ir\ntotals: 3\n") == 0


@pytest.mark.parametrize(
    "text",
    ["", "events: Dr\ntotals: 3\n", "events: Ir\nfn=(1) main\n0 5\n", "totals: 5\n"],
)
def test_a_file_without_instruction_totals_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a callgrind output file"):
        instructions.total_instructions(text)


def test_a_request_costs_the_difference_of_two_runs_over_their_difference_in_requests() -> None:
    startup, each = 1_900_000_000, 261_854
    short = Count(1500, startup + 1500 * each)
    long = Count(3500, startup + 3500 * each)
    assert instructions.per_request(short, long) == each


@pytest.mark.parametrize("long_requests", [1500, 1000])
def test_the_second_run_must_serve_more_requests(long_requests: int) -> None:
    with pytest.raises(ValueError, match="more requests"):
        instructions.per_request(Count(1500, 10), Count(long_requests, 20))


def test_the_comparisons_are_run_pys_safety_comparisons_of_ajaxkit() -> None:
    servers, groups = list(instructions.DEFAULT_SERVERS), list(instructions.GROUPS)
    theirs = {
        (c.label, c.top.endpoint, c.bottom.endpoint, c.goal)
        for c in safety_comparisons(servers, groups)
        if c.by == "ajaxkit"
    }
    ours = {(p.label, p.guarded, p.unguarded, p.goal) for p in instructions.pairs(servers, groups)}
    assert ours == theirs
    assert len(ours) == 3 * len(servers)


def _row(guarded: float, unguarded: float, goal: float | None = 0.9) -> Row:
    return Row(
        Pair("starlette", "100/second memory", "limited", "unlimited", goal), guarded, unguarded
    )


def test_the_ratio_is_unguarded_over_guarded_and_held_to_the_goal() -> None:
    met, missed = _row(290_000, 261_000), _row(308_464, 261_854)
    assert met.ratio == pytest.approx(0.9) and met.met is True
    assert missed.ratio == pytest.approx(0.8489, abs=1e-4) and missed.met is False
    assert _row(308_464, 261_854, goal=None).met is None
    assert instructions.exit_status([met]) == 0
    assert instructions.exit_status([met, missed]) == 2
    assert instructions.exit_status([_row(2, 1, goal=None)]) == 0


def test_the_table_has_a_row_per_comparison() -> None:
    lines = instructions.table([_row(308_464, 261_854), _row(1, 1, goal=None)]).splitlines()
    assert lines[2] == (
        "| starlette 100/second memory | 308,464 | 261,854 | 46,610 "
        "| **0.849x** | ≥ 0.9x | **NO** |"
    )
    assert lines[3].endswith("| **1.000x** | - | - |")
    assert len(lines) == 4


def test_the_client_addresses_rotate_as_wrks() -> None:
    sent = list(instructions.addresses(KEYS, 3 * KEYS))
    assert sent[:2] == ["10.0.0.1", "10.0.0.2"]
    assert sent[KEYS - 1] == "10.0.0.0" and sent[KEYS - 2] == "10.0.3.255"
    assert len(set(sent)) == KEYS and sent[KEYS:] == sent[:-KEYS]
    assert list(instructions.addresses(0, 2)) == ["", ""]


def test_each_run_of_a_limit_exceeds_the_client_addresses() -> None:
    # Otherwise the short run's requests would come from new addresses and
    # the long run's mostly from known ones, which cost less.
    with pytest.raises(SystemExit):
        instructions.parse_args(["--requests", str(KEYS), "3000", "--addresses", str(KEYS)])
    with pytest.raises(SystemExit):
        instructions.parse_args(["--requests", "8", "3000"])
    with pytest.raises(SystemExit):
        instructions.parse_args(["--addresses", "0"])
    assert instructions.parse_args(["--requests", "9", "3000"]).addresses == 8
    with pytest.raises(SystemExit):
        instructions.parse_args(["--requests", "3000", "2000", "--guards", "csrf"])
    csrf = instructions.parse_args(["--requests", "200", "400", "--guards", "csrf"])
    assert csrf.requests == [200, 400]


def test_servers_run_under_callgrind_as_run_py_starts_them() -> None:
    out = Path("out")
    uvicorn = instructions.callgrind_argv(SERVERS["starlette"], 8000, out)
    assert uvicorn == [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=out.%p",
        *SERVERS["starlette"].argv(8000),
    ]
    gunicorn = instructions.callgrind_argv(SERVERS["flask"], 8000, out)
    assert gunicorn[-3:] == ["--timeout", instructions.GUNICORN_TIMEOUT, SERVERS["flask"].target]


def test_the_serving_process_is_the_only_one_or_the_forked_worker() -> None:
    single = [Path("c.41")]
    assert instructions.served_by(single, 41) == single[0]
    master_and_worker = [Path("c.41"), Path("c.47")]
    assert instructions.served_by(master_and_worker, 41) == Path("c.47")
    with pytest.raises(RuntimeError, match="one worker"):
        instructions.served_by([*master_and_worker, Path("c.52")], 41)


class _Recorder(BaseHTTPRequestHandler):
    """Answers 200 and keeps each request's client port, header names and body."""

    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn
    seen: ClassVar[list[tuple[int, list[str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.client_address[1], list(self.headers.keys()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_request_carries_only_what_wrk_sends_over_one_connection() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        for _ in range(2):
            status = instructions.exchange(connection, "/ajax/echo", b"{}", {"X-A": "1"})
            assert status == 200
    finally:
        connection.close()
        server.shutdown()
        server.server_close()
    (port, *first), (again, *second) = _Recorder.seen
    assert first == second == [["Host", "X-A", "Content-Length"], b"{}"]
    assert port == again  # one connection


def test_the_server_may_be_left_to_resolve_the_client_address() -> None:
    # uvicorn resolves X-Forwarded-For from 127.0.0.1 itself: with 0 the
    # limited cell keys by the address the server hands over.
    args = instructions.parse_args(["--trusted-proxies", "0", "--servers", "starlette"])
    assert args.trusted_proxies == 0
    env = instructions.server_env(SERVERS["starlette"], args.trusted_proxies)
    assert env["BENCH_TRUSTED_PROXIES"] == "0"
    assert instructions.parse_args([]).trusted_proxies == 1
    # gunicorn hands over its peer (the load generator's 127.0.0.1) as is:
    # every request would be one client, and the limit would refuse them.
    with pytest.raises(SystemExit):
        instructions.parse_args(["--trusted-proxies", "0", "--servers", "flask"])
    with pytest.raises(SystemExit):
        instructions.parse_args(["--trusted-proxies", "-1"])


def test_the_bench_app_trusts_the_proxies_it_is_told_to(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.apps import data

    assert data.make_api(asynchronous=False).settings.trusted_proxies == 1
    monkeypatch.setenv("BENCH_TRUSTED_PROXIES", "0")
    assert data.make_api(asynchronous=False).settings.trusted_proxies == 0
