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

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.apps.data import ECHO_BODY, ENDPOINTS, RATE, wrong_answer  # noqa: E402
from bench.peers import (  # noqa: E402
    PEERS,
    TOLL,
    Peer,
    admitted_before_refusal,
    cost_lines,
    installed,
)

LUA = ROOT / "bench" / "wrk" / "bench.lua"
RESULTS = ROOT / "bench" / "results"
SERVER_CPU, LOAD_CPU = 0, 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SIDES = ("raw", "ajax")
#: The side serving the raw views with the peers installed (:mod:`bench.peers`).
PEER = "peer"
REDIS = ("127.0.0.1", 6379)
REDIS_URI = f"redis://{REDIS[0]}:{REDIS[1]}/0"


@dataclass(frozen=True)
class Load:
    """What wrk sends to one cell: the path below ``/<side>/`` and the request's extras."""

    path: str
    #: POST ``ECHO_BODY`` (otherwise GET).
    body: bool = False
    #: ``"fetch"``: a browser's same-origin ``fetch()`` headers; ``"token"``:
    #: the CSRF token and its cookie, and no Origin or Fetch Metadata (an old
    #: browser, a script); ``None``: neither.
    csrf: str | None = None
    #: Rotate ``X-Forwarded-For`` over this many client addresses (0: none).
    keys: int = 0


#: Client addresses the rate-limited cells rotate over: at 25,000 req/s each
#: sends ~25 req/s, so none reaches ``100/second`` and every answer is a 200.
KEYS = 1024

#: Every cell's load by name.  The guarded cell of a safety comparison and its
#: unguarded twin send the same request apart from the path.
LOADS = {
    "small": Load("small"),
    "users": Load("users"),
    "echo": Load("echo", body=True),
    "csrf-fetch": Load("echo-csrf", body=True, csrf="fetch"),
    "csrf-fetch-exempt": Load("echo", body=True, csrf="fetch"),
    "csrf-token": Load("echo-csrf", body=True, csrf="token"),
    "csrf-token-exempt": Load("echo", body=True, csrf="token"),
    "limited": Load("limited", keys=KEYS),
    "unlimited": Load("small", keys=KEYS),
}

#: The safety comparisons by ``--endpoints`` group: (label, guarded cell,
#: unguarded cell, goal).  ``limits-redis`` runs on each server's ``+redis``
#: twin, whose counters live in Redis.
SAFETY: dict[str, tuple[tuple[str, str, str, float | None], ...]] = {
    "csrf": (
        ("csrf fetch", "csrf-fetch", "csrf-fetch-exempt", 0.95),
        ("csrf token", "csrf-token", "csrf-token-exempt", 0.95),
    ),
    "limits": (("100/second memory", "limited", "unlimited", 0.9),),
    "limits-redis": (("100/second redis", "limited", "unlimited", None),),
}


# --- servers ------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How to start one benchmarked server."""

    name: str
    framework: str
    kind: str  # "gunicorn" or "uvicorn"
    target: str
    #: Extra environment for the server (how ajaxkit is mounted).
    env: tuple[tuple[str, str], ...] = ()
    #: Whether its peers are measured on it.  Not on the ``front`` servers: their
    #: raw views (and so their peer side) are the plain server's.
    peers: bool = True

    def argv(self, port: int) -> list[str]:
        if self.kind == "gunicorn":
            return [
                sys.executable, "-m", "gunicorn",
                "--workers", "1", "--worker-class", "sync",
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                self.target,
            ]  # fmt: skip
        # Django's ASGI handler has no lifespan support.
        lifespan = "off" if self.framework == "django" else "on"
        return [
            sys.executable, "-m", "uvicorn",
            "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--lifespan", lifespan,
            "--no-access-log", "--log-level", "warning",
            self.target,
        ]  # fmt: skip


SERVERS = {
    spec.name: spec
    for spec in (
        ServerSpec("django-wsgi", "django", "gunicorn", "bench.apps.django_wsgi:application"),
        ServerSpec("django-asgi", "django", "uvicorn", "bench.apps.django_asgi:application"),
        ServerSpec("flask", "flask", "gunicorn", "bench.apps.flask_app:app"),
        ServerSpec("starlette", "starlette", "uvicorn", "bench.apps.starlette_app:app"),
        ServerSpec(
            "starlette-front",
            "starlette",
            "uvicorn",
            "bench.apps.starlette_app:app",
            (("BENCH_MOUNT", "front"),),
            peers=False,
        ),
        ServerSpec("fastapi", "fastapi", "uvicorn", "bench.apps.fastapi_app:app"),
        ServerSpec(
            "fastapi-front",
            "fastapi",
            "uvicorn",
            "bench.apps.fastapi_app:app",
            (("BENCH_MOUNT", "front"),),
            peers=False,
        ),
    )
}

#: Each server again with its rate-limit counters in Redis (``limits-redis``).
REDIS_SERVERS = {
    f"{name}+redis": replace(
        spec, name=f"{name}+redis", env=(*spec.env, ("BENCH_RATE_STORAGE", REDIS_URI))
    )
    for name, spec in SERVERS.items()
}
ALL_SERVERS = {**SERVERS, **REDIS_SERVERS}


@dataclass
class Server:
    """A running server process (the leader of its own process group) serving one side."""

    spec: ServerSpec
    side: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    info: dict[str, Any] = field(default_factory=dict)

    def url(self, endpoint: str) -> str:
        return f"http://127.0.0.1:{self.port}/{self.side}/{LOADS[endpoint].path}"

    @property
    def counts_in_redis(self) -> bool:
        return any(name == "BENCH_RATE_STORAGE" for name, _ in self.spec.env)

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int, argv: list[str], pin: bool) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if pin else argv


def start_server(spec: ServerSpec, side: str, env: dict[str, str], logs: Path, pin: bool) -> Server:
    port = free_port()
    log = logs / f"{spec.name}-{side}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(SERVER_CPU, spec.argv(port), pin),
            cwd=ROOT,
            env={**env, **dict(spec.env), "BENCH_SIDE": side},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
    return Server(spec, side, port, process, log)


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    """Wait until the server answers ``small``; raise if it died or never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _, _ = fetch(server.url("small"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"not answering after {timeout:.0f}s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """Stop the server's whole process group (TERM, then KILL)."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        except ProcessLookupError:
            pass
    # A gunicorn worker outliving its master would keep the group alive.
    with suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)


Plan = list[tuple[ServerSpec, tuple[str, ...]]]  # each server and the sides it is started for


@contextmanager
def running(plan: Plan, env: dict[str, str], pin: bool) -> Iterator[list[Server]]:
    """Start every planned server side; whatever happens, stop every one of them at the end."""
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="ajaxkit-bench-") as logs:
        try:
            for spec, sides in plan:
                for side in sides:
                    servers.append(start_server(spec, side, env, Path(logs), pin))
            yield servers
        finally:
            for server in servers:
                stop_server(server)


# --- checking a server answers what it should -----------------------------------


def fetch(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    """Status, headers and body of one request (a 4xx or 5xx too, as its status)."""
    sent = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers={**sent, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # 127.0.0.1 only
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def validate(server: Server) -> None:
    """Every cell answers 200 with the right JSON; records sizes and content types."""
    for endpoint in ENDPOINTS:
        body = json.dumps(ECHO_BODY).encode() if endpoint == "echo" else None
        status, headers, content = fetch(server.url(endpoint), body)
        problem = wrong_answer(endpoint, json.loads(content)) if status == 200 else None
        if status != 200 or problem:
            raise RuntimeError(f"/{server.side}/{endpoint}: {status} {problem or content[:200]!r}")
        server.info[endpoint] = {"bytes": len(content), "content_type": headers.get("Content-Type")}


def validate_safety(server: Server) -> None:
    """The guarded endpoints answer right, and are guarded: else nothing would be measured.

    Fetches the CSRF token (and its cookie) the token cells send.
    """
    fetch_csrf_token(server)
    for name in ("csrf-fetch", "csrf-token", "csrf-fetch-exempt", "limited", "unlimited"):
        answer = checked_answer(server, name)
        if name == "limited" and not answer.get("RateLimit"):
            raise RuntimeError("/ajax/limited answered without a RateLimit header: not limited")
    status, _, _ = fetch(server.url("csrf-fetch"), json.dumps(ECHO_BODY).encode())
    if status != 403:
        raise RuntimeError(f"/ajax/echo-csrf without a token or origin: {status}, not 403")


def fetch_csrf_token(server: Server) -> None:
    """The server's CSRF token and its cookie, from ``/<side>/_csrf``, into ``server.info``."""
    status, headers, content = fetch(f"http://127.0.0.1:{server.port}/{server.side}/_csrf")
    cookie = headers.get("Set-Cookie", "").partition(";")[0]
    if status != 200 or not cookie:
        raise RuntimeError(f"/{server.side}/_csrf: {status} {content[:200]!r}, cookie {cookie!r}")
    server.info["csrf"] = {"token": json.loads(content)["token"], "cookie": cookie}


def checked_answer(server: Server, name: str) -> Message:
    """Send the request wrk sends to cell ``name``; raise unless it is answered 200 and right.

    Returns the answer's headers.
    """
    load = LOADS[name]
    forwarded = {"X-Forwarded-For": "10.0.0.1"} if load.keys else {}
    headers = request_headers(server, load) | forwarded
    body = json.dumps(ECHO_BODY).encode() if load.body else None
    status, answer, content = fetch(server.url(name), body, headers)
    endpoint = "echo" if load.body else "small"
    problem = wrong_answer(endpoint, json.loads(content)) if status == 200 else None
    if status != 200 or problem:
        where = f"/{server.side}/{load.path}"
        raise RuntimeError(f"{name} {where}: {status} {problem or content[:200]!r}")
    return answer


#: Client addresses of the check that a peer limits per client (outside wrk's 10.0.0.0/22).
PROBE_ADDRESSES = ("192.0.2.1", "192.0.2.2")


def validate_peers(server: Server) -> None:
    """Every peer of the server's framework answers right and guards (:mod:`bench.peers`).

    As :func:`validate_safety` checks ajaxkit's guards, and further: a limit
    must refuse one client after ``100`` requests and no sooner (a peer
    counting every client as one, or at another rate, is found here and not
    halfway through a run), and then still admit another client.
    """
    peers = {guard: peer for (framework, guard), peer in PEERS.items()
             if framework == server.spec.framework}  # fmt: skip
    if "csrf token" in peers:
        fetch_csrf_token(server)
    for guard, peer in peers.items():
        guarded, unguarded = safety_cells(guard)
        checked_answer(server, unguarded)
        answer = checked_answer(server, guarded)
        if peer.header and not answer.get(peer.header):
            raise RuntimeError(f"{peer.name} answered {guarded} without {peer.header}")
        if LOADS[guarded].keys:
            check_peer_limit(server, guarded, peer)
        else:
            status, _, _ = fetch(server.url(guarded), json.dumps(ECHO_BODY).encode())
            if status != peer.refusal:
                raise RuntimeError(
                    f"{peer.name}: {LOADS[guarded].path} without a token answered {status}, "
                    f"not {peer.refusal}: not guarded"
                )


def check_peer_limit(server: Server, name: str, peer: Peer) -> None:
    """``peer`` refuses one client after ``RATE`` allows and no sooner, and admits the next."""
    path = f"/{server.side}/{LOADS[name].path}"
    limit = int(RATE.partition("/")[0])
    # Fixed windows: a client is admitted `limit` to `2 * limit - 1` times (the
    # rest of the first window, then a whole one) when more than `limit` go a
    # second; none refused in `2 * limit` is no limit at RATE.
    first, second = PROBE_ADDRESSES
    admitted = admitted_before_refusal(server.port, path, first, peer.refusal, 2 * limit)
    if admitted < limit:
        raise RuntimeError(f"{peer.name} refused {path} after {admitted} requests, not {RATE}")
    status, _, _ = fetch(server.url(name), None, {"X-Forwarded-For": second})
    if status != 200:
        raise RuntimeError(f"{peer.name} refused another client at once ({status}): not per client")


def request_headers(server: Server, load: Load) -> dict[str, str]:
    """The headers a cell sends besides wrk's own (``Load.csrf``)."""
    if load.csrf is None:
        return {}
    csrf = server.info["csrf"]
    token = {"Cookie": csrf["cookie"], "X-CSRFToken": csrf["token"]}
    if load.csrf == "token":
        return token
    fetch_ = {
        "Origin": f"http://127.0.0.1:{server.port}",
        "Sec-Fetch-Site": "same-origin",
        "Sec-Fetch-Mode": "cors",
        "Sec-Fetch-Dest": "empty",
    }
    # Django's own CSRF check runs on every unsafe request, a same-origin
    # fetch() too, so there the page sends its token as well (ajaxkit.js does).
    return fetch_ | token if server.spec.framework == "django" else fetch_


# --- measuring --------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One thing wrk loads: an endpoint of one side of one server."""

    server: str
    endpoint: str
    side: str


@dataclass(frozen=True)
class Comparison:
    """Two cells measured back to back in every round; their ratio is reported.

    ``top`` is ajaxkit (or, for a safety comparison, the guarded cell),
    ``bottom`` what it is compared with; ``goal`` is the issue's target on
    the paired ratio (``None``: reported, not judged).
    """

    label: str
    top: Cell
    bottom: Cell
    goal: float | None
    #: A safety comparison's guard (a label of :data:`SAFETY`), or
    #: :data:`~bench.peers.TOLL`; ``None`` for ajaxkit against raw.
    guard: str | None = None
    #: Who guards: ajaxkit, or the peer packages' names.
    by: str = "ajaxkit"


#: The users target by framework (there is none for FastAPI).
USERS_GOALS = {"django": 1.15, "flask": 1.15, "starlette": 1.4}


def fastapi_label(server: str) -> str:
    """The label of the comparison of ajaxkit on ``server`` with raw FastAPI."""
    return f"ajaxkit on {server} small vs FastAPI small"


FASTAPI_LABEL = fastapi_label("starlette")


def safety_cells(guard: str) -> tuple[str, str]:
    """The guarded and the unguarded cell of the safety comparison labelled ``guard``."""
    return next((g, u) for rows in SAFETY.values() for label, g, u, _ in rows if label == guard)


def comparisons(servers: list[str], endpoints: list[str]) -> list[Comparison]:
    """ajaxkit against raw for every measured cell, plus the FastAPI comparison,
    then the safety comparisons of the chosen groups (:data:`SAFETY`)."""
    found: list[Comparison] = []
    for name in servers:
        for endpoint in (e for e in endpoints if e in ENDPOINTS):
            goal = USERS_GOALS.get(SERVERS[name].framework) if endpoint == "users" else 0.9
            found.append(
                Comparison(
                    f"{name} {endpoint}",
                    Cell(name, endpoint, "ajax"),
                    Cell(name, endpoint, "raw"),
                    goal,
                )
            )
    if "fastapi" in servers and "small" in endpoints:
        for name in servers:
            if SERVERS[name].framework == "starlette":
                found.append(
                    Comparison(
                        fastapi_label(name),
                        Cell(name, "small", "ajax"),
                        Cell("fastapi", "small", "raw"),
                        1.8,
                    )
                )
    return found + safety_comparisons(servers, endpoints)


def safety_comparisons(servers: list[str], groups: list[str]) -> list[Comparison]:
    """Each guarded ajaxkit cell against its unguarded twin on the same server, each
    followed by its peer's (:data:`~bench.peers.PEERS`) on the server's peer side;
    then, for every server with a peer side, that side's unguarded cell against the
    raw side's (:func:`toll_comparison`)."""
    found: list[Comparison] = []
    for group in (g for g in groups if g in SAFETY):
        for name in servers:
            server = f"{name}+redis" if group == "limits-redis" else name
            for label, guarded, unguarded, goal in SAFETY[group]:
                found.append(
                    Comparison(
                        f"{name} {label}",
                        Cell(server, guarded, "ajax"),
                        Cell(server, unguarded, "ajax"),
                        goal,
                        guard=label,
                    )
                )
                peer = peer_of(server, label)
                if peer:
                    found.append(
                        Comparison(
                            f"{name} {label} ({peer.name})",
                            Cell(server, guarded, PEER),
                            Cell(server, unguarded, PEER),
                            None,  # ajaxkit's goals are ajaxkit's
                            guard=label,
                            by=peer.name,
                        )
                    )
    return found + [toll_comparison(n) for n in servers if peer_guards(n, groups)]


def peer_of(server: str, guard: str) -> Peer | None:
    """The peer measured on ``server`` for ``guard``, if any."""
    spec = ALL_SERVERS[server]
    return PEERS.get((spec.framework, guard)) if spec.peers else None


def peer_guards(server: str, groups: list[str]) -> list[str]:
    """The guards of the chosen ``groups`` that have a peer on ``server``."""
    return [
        label for group in groups for label, *_ in SAFETY.get(group, ()) if peer_of(server, label)
    ]


def toll_comparison(server: str) -> Comparison:
    """The peer side's unguarded ``small`` against the raw side's, with the same requests.

    Some peers hook every request of the app they are installed on; a pair on
    the peer side alone would leave that cost out on both halves.
    """
    framework = SERVERS[server].framework
    return Comparison(
        f"{server} small with {installed(framework)} installed",
        Cell(server, "unlimited", PEER),
        Cell(server, "unlimited", "raw"),
        None,
        guard=TOLL,
        by=installed(framework),
    )


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and all its live descendants, in seconds."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        # The command name may contain spaces; fields resume after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return sum(ticks.get(pid, 0) for pid in tree) / CLOCK_TICKS


@dataclass
class Sample:
    """One wrk run against one cell, measured for one comparison."""

    comparison: str
    server: str
    endpoint: str
    side: str
    round: int
    #: 0 for the first measurement of the pair in this round, 1 for its re-run, ...
    attempt: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    #: Server CPU seconds per wall second: well below 1 means the server
    #: was not saturated (another process had CPU 0, or wrk fell behind).
    server_cpu_share: float
    errors: dict[str, int]
    #: Whether this pair's measurement was too noisy to report (see ``--min-share``).
    noisy: bool = False
    #: On a server counting in Redis: Redis round trips (read events the
    #: Redis server processed) per request, and commands per request by
    #: name (those a Lua script runs included).  Redis-wide counters: another
    #: client of the same Redis during the run adds to them.
    redis_round_trips: float | None = None
    redis_commands: dict[str, float] | None = None


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


def measure(
    server: Server, cell: Cell, at: tuple[str, int, int], args: argparse.Namespace
) -> Sample:
    """One timed wrk run against ``cell``; ``at`` is (comparison, round, attempt)."""
    comparison, round_, attempt = at
    redis_before = redis_counters() if server.counts_in_redis else None
    before = tree_cpu_seconds(server.process.pid)
    result = run_wrk(server, cell.endpoint, args.duration, args)
    cpu = tree_cpu_seconds(server.process.pid) - before
    requests = result["requests"]
    per_request = redis_delta(redis_before, requests) if redis_before else (None, None)
    seconds = result["duration_us"] / 1e6
    latency = result["latency_us"]
    return Sample(
        comparison=comparison,
        server=cell.server,
        endpoint=cell.endpoint,
        side=cell.side,
        round=round_,
        attempt=attempt,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        cpu_us_per_request=cpu * 1e6 / requests if requests else float("nan"),
        server_cpu_share=cpu / seconds if seconds else 0.0,
        errors=result["errors"],
        redis_round_trips=per_request[0],
        redis_commands=per_request[1],
    )


RedisCounters = tuple[int, dict[str, int]]  # read events, calls by command


def redis_counters() -> RedisCounters:
    """Redis's read events (one per round trip, a pipeline's too) and calls by command.

    Commands a Lua script runs count in ``commandstats`` but are no round
    trip; read events are what a client's requests cost in trips.
    """
    import redis

    with redis.Redis(host=REDIS[0], port=REDIS[1]) as client:
        calls = {
            name.removeprefix("cmdstat_"): int(stats["calls"])
            for name, stats in client.info("commandstats").items()
        }
        # Read last here and first in the next snapshot: the delta counts one INFO of ours.
        reads = int(client.info("stats")["total_reads_processed"])
    return reads, calls


def redis_delta(before: RedisCounters, requests: int) -> tuple[float, dict[str, float]]:
    """Round trips and commands per request since ``before`` (our own INFOs left out)."""
    after = redis_counters()
    if not requests:
        return float("nan"), {}
    trips = (after[0] - before[0] - 1) / requests
    commands = {
        name: (calls - before[1].get(name, 0)) / requests
        for name, calls in after[1].items()
        if name != "info" and calls != before[1].get(name, 0)
    }
    return trips, commands


Servers = dict[tuple[str, str], Server]  # (server name, side) -> server


def order(comparison: Comparison, round_: int, index: int) -> tuple[Cell, Cell]:
    """Which cell of a pair goes first: alternating by round and by pair."""
    cells = (comparison.bottom, comparison.top)
    return cells if (round_ + index) % 2 == 0 else cells[::-1]


def measure_pair(
    servers: Servers, comparison: Comparison, round_: int, index: int, args: argparse.Namespace
) -> list[Sample]:
    """Both cells back to back; a noisy pair is measured again, up to ``--retries`` times.

    A pair is noisy when either server got less than ``--min-share`` of its
    CPU during its run: something else ran there, so neither its req/s nor
    (less so) its CPU per request can be trusted.  Every attempt is kept in
    the results; only the last one counts, and only when it was quiet.
    """
    taken: list[Sample] = []
    for attempt in range(args.retries + 1):
        pair = [
            measure(
                servers[cell.server, cell.side], cell, (comparison.label, round_, attempt), args
            )
            for cell in order(comparison, round_, index)
        ]
        noisy = min(s.server_cpu_share for s in pair) < args.min_share
        for sample in pair:
            sample.noisy = noisy
            print(
                f"  round {round_ + 1} {comparison.label:<42} {sample.side:<4} "
                f"{sample.rps:9.0f} req/s  p99 {sample.p99_ms:6.2f} ms  "
                f"cpu {sample.cpu_us_per_request:7.1f} us/req  "
                f"share {sample.server_cpu_share:4.0%}{'  noisy' if noisy else ''}",
                flush=True,
            )
        taken += pair
        if not noisy:
            break
    return taken


def benchmark(
    servers: Servers, comparisons_: list[Comparison], args: argparse.Namespace
) -> list[Sample]:
    """Warm every cell up, then measure every comparison's pair once per round."""
    cells = {cell: None for c in comparisons_ for cell in (c.bottom, c.top)}  # ordered set
    for cell in cells if args.warmup else ():
        run_wrk(servers[cell.server, cell.side], cell.endpoint, args.warmup, args)
    samples: list[Sample] = []
    for round_ in range(args.rounds):
        for index, comparison in enumerate(comparisons_):
            samples += measure_pair(servers, comparison, round_, index, args)
    return samples


# --- summarising --------------------------------------------------------------------


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


# --- the run ----------------------------------------------------------------------


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


#: Rounds, seconds per measured run and seconds of warm-up per cell.
TIMING = {"rounds": 3, "duration": 5, "warmup": 1}
#: The same for ``--quick``, a check of the harness rather than a measurement.
QUICK = {"rounds": 1, "duration": 1, "warmup": 1}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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


class BrokenPeer(RuntimeError):
    """A peer side does not answer, or does not guard, as it must: the run stops."""


def ready_servers(stack: list[Server], safety: bool) -> Servers:
    """The servers whose every side started and answers correctly (with ``safety``,
    the safety endpoints too; on a peer side, its peers' guards).

    The others are reported and skipped, except a broken peer side: a peer
    misconfigured (refusing the benchmark's requests, or not guarding) is
    raised as :class:`BrokenPeer`, lest the run end without its rows unnoticed.
    """
    ready: Servers = {}
    broken: set[str] = set()
    for server in stack:
        try:
            wait_ready(server)
            validate(server)
            if safety and server.side == "ajax":
                validate_safety(server)
            if server.side == PEER:
                validate_peers(server)
        except (RuntimeError, OSError, ValueError) as exc:
            if server.side == PEER:
                raise BrokenPeer(f"{server.spec.name} ({PEER}): {exc}") from exc
            print(f"!! {server.spec.name} ({server.side}): skipped, {exc}")
            broken.add(server.spec.name)
            continue
        ready[server.spec.name, server.side] = server
        print(
            f"   {server.spec.name:<11} {server.side:<4} on 127.0.0.1:{server.port}: {server.info}"
        )
    return {key: server for key, server in ready.items() if key[0] not in broken}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
