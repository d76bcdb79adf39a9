"""Time and profile ajaxkit's dispatch path in-process, beside each framework's own views.

Run from the repository root, with the repository's ``.venv`` and the
``bench`` extra installed (``.venv/bin/pip install -e '.[bench]'``); ``run.py``
also needs the Debian package ``wrk`` (see ``bench/README.md``)::

    .venv/bin/python bench/profile_pipeline.py                    # all targets, N=50000
    .venv/bin/python bench/profile_pipeline.py -n 5000 --targets core flask
    .venv/bin/python bench/profile_pipeline.py --targets starlette --endpoints users --top 25

No sockets and no server: requests are driven straight into each app (a WSGI
``environ`` into the WSGI callable, an ASGI scope into the ASGI app, an
:class:`~ajaxkit.AjaxRequest` into ``Ajax.dispatch``), so what is left is the
framework plus ajaxkit, which is what a missed target in ``bench/run.py`` has
to be explained by.  For every target and endpoint it prints CPU µs per request
for the raw view and the ajaxkit endpoint, then (unless ``--no-profile``)
cProfile's own time grouped by owner (ajaxkit, the framework, orjson, stdlib
json, ...) and the top functions of the ajaxkit side.

Each side of each target runs in its own subprocess, as ``bench/run.py``
serves them: an app holding only the routes of one side (so neither pays for
trying the other's routes first), and Django configured once per process.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.apps.data import ECHO_BODY, ENDPOINTS, wrong_answer  # noqa: E402

ECHO_BYTES = json.dumps(ECHO_BODY).encode()
HOST = "127.0.0.1:8000"

#: target -> (how it is driven, module:attribute of the app)
TARGETS: dict[str, tuple[str, str]] = {
    "core": ("core", ""),
    "testing-client": ("client", ""),
    "django-wsgi": ("wsgi", "bench.apps.django_wsgi:application"),
    "django-asgi": ("asgi", "bench.apps.django_asgi:application"),
    "flask": ("wsgi", "bench.apps.flask_app:app"),
    "starlette": ("asgi", "bench.apps.starlette_app:app"),
    "starlette-front": ("asgi", "bench.apps.starlette_app:app"),
    "fastapi": ("asgi", "bench.apps.fastapi_app:app"),
    "fastapi-front": ("asgi", "bench.apps.fastapi_app:app"),
}

#: Targets serving ajaxkit with ``ajaxkit.starlette.front`` instead of ``Mount``.
FRONT_TARGETS = frozenset({"starlette-front", "fastapi-front"})

Call = Callable[[], Any]
AsyncCall = Callable[[], Coroutine[Any, Any, bytes]]


# --- drivers: one request, the way a server would make it ------------------------


def wsgi_call(app: Any, side: str, endpoint: str) -> Call:
    """A function answering one request through the WSGI ``app`` (body consumed)."""
    post = endpoint == "echo"
    base = {
        "REQUEST_METHOD": "POST" if post else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": f"/{side}/{endpoint}",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": HOST,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if post:
        base |= {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(ECHO_BYTES))}
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    def call() -> bytes:
        environ = {**base, "wsgi.input": io.BytesIO(ECHO_BYTES if post else b"")}
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if not statuses[-1].startswith("200"):
            raise RuntimeError(f"{side}/{endpoint}: {statuses[-1]} {body[:200]!r}")
        return body

    return call


def asgi_call(app: Any, side: str, endpoint: str) -> AsyncCall:
    """A coroutine function answering one request through the ASGI ``app``."""
    post = endpoint == "echo"
    headers = [(b"host", HOST.encode())]
    if post:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(ECHO_BYTES)),
        ]
    path = f"/{side}/{endpoint}"
    base = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST" if post else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    body_message = {"type": "http.request", "body": ECHO_BYTES if post else b"", "more_body": False}

    async def call() -> bytes:
        sent_body = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return body_message
            # Django listens for a disconnect while the view runs: never send one.
            await asyncio.Future()
            raise AssertionError("unreachable")

        out: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            out.append(message)

        await app(dict(base), receive, send)
        status = out[0]["status"]
        body = b"".join(m.get("body", b"") for m in out[1:])
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        return body

    return call


def core_call(side: str, endpoint: str, via_client: bool) -> Call:
    """One dispatch straight through ``Ajax.dispatch`` (or ``ajaxkit.testing.Client``)."""
    from ajaxkit import AjaxRequest, Headers, MultiDict
    from ajaxkit.testing import Client
    from bench.apps.data import make_api

    api = make_api(asynchronous=False)
    post = endpoint == "echo"
    if via_client:
        client = Client(api)
        if post:
            return lambda: client.post(f"/ajax/{endpoint}", json=ECHO_BODY)
        return lambda: client.get(f"/ajax/{endpoint}")
    headers = [("host", HOST)]
    if post:
        headers += [("content-type", "application/json"), ("content-length", str(len(ECHO_BYTES)))]
    no_query = MultiDict()

    def call() -> Any:
        request = AjaxRequest(
            method="POST" if post else "GET",
            path=f"/ajax/{endpoint}",
            route=endpoint,
            headers=Headers(headers),
            query=no_query,
            body=ECHO_BYTES if post else b"",
        )
        return api.dispatch(request)

    return call


# --- timing and profiling ---------------------------------------------------------


def load(spec: str) -> Any:
    module, _, attribute = spec.partition(":")
    __import__(module)
    return getattr(sys.modules[module], attribute)


def run_sync(call: Call, n: int) -> float:
    """CPU seconds this process spent on ``n`` calls.

    CPU time, not wall time: the machine is shared, and other processes'
    turns on the CPU would otherwise be billed to whichever side ran then.
    """
    start = time.process_time()
    for _ in range(n):
        call()
    return time.process_time() - start


def run_async(call: AsyncCall, n: int) -> float:
    async def loop() -> float:
        start = time.process_time()
        for _ in range(n):
            await call()
        return time.process_time() - start

    import uvloop  # the loop uvicorn serves the benchmark with

    return uvloop.run(loop())


def owner(filename: str, function: str) -> str:
    """Who a profiled function belongs to, for the grouped breakdown."""
    path = filename.replace("\\", "/")
    for needle, name in (
        ("/ajaxkit/", "ajaxkit"),
        ("/bench/apps/", "bench app (handlers, raw views)"),
        ("/django/", "django"),
        ("/flask/", "flask + werkzeug"),
        ("/werkzeug/", "flask + werkzeug"),
        ("/fastapi/", "fastapi"),
        ("/starlette/", "starlette"),
        ("/pydantic", "pydantic"),
        ("/asgiref/", "asgiref"),
        ("/uvicorn/", "uvicorn (server)"),
        ("/anyio/", "anyio (thread pool)"),
        ("/json/", "json (stdlib)"),
        ("/asyncio/", "asyncio"),
    ):
        if needle in path:
            return name
    if "orjson" in function:
        return "orjson"
    if "_json" in function or "json.encoder" in function or "c_make_encoder" in function:
        return "json (stdlib)"
    if "pydantic" in function:
        return "pydantic"
    return "builtins" if filename == "~" else "other (stdlib)"


def breakdown(stats: pstats.Stats, n: int) -> list[tuple[str, float]]:
    """Own time per owner, µs per request, largest first."""
    totals: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        key = owner(filename, function)
        totals[key] = totals.get(key, 0.0) + own
    return sorted(((k, v * 1e6 / n) for k, v in totals.items()), key=lambda kv: -kv[1])


def ajaxkit_stages(stats: pstats.Stats, n: int, top: int) -> list[tuple[str, float]]:
    """ajaxkit's functions by cumulative time: translation in, dispatch, translation out."""
    found = []
    for (filename, line, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/ajaxkit/" in filename:
            where = f"{filename.rpartition('/ajaxkit/')[2]}:{line}({function})"
            found.append((where, cumulative * 1e6 / n))
    return sorted(found, key=lambda item: -item[1])[:top]


def profile(run: Callable[[int], float], n: int, top: int) -> str:
    """Profile ``n`` requests of ``run`` in this process and report them."""
    profiler = cProfile.Profile()
    profiler.enable()
    run(n)
    profiler.disable()
    return report(pstats.Stats(profiler), n, top)


def report(stats: pstats.Stats, n: int, top: int) -> str:
    """Calls, own time by owner, ajaxkit's stages and the top functions, per request."""
    table = stats.stats  # type: ignore[attr-defined]
    calls = sum(v[1] for v in table.values()) / n
    python = sum(v[1] for k, v in table.items() if k[0] != "~") / n
    lines = [f"    {calls:.0f} function calls per request ({python:.0f} of Python functions)"]
    lines += ["    own time by owner (µs/request, under cProfile):"]
    lines += [f"      {us:8.1f}  {name}" for name, us in breakdown(stats, n) if us >= 0.05]
    lines += ["    ajaxkit functions by cumulative time (µs/request, under cProfile):"]
    lines += [f"      {us:8.1f}  {where}" for where, us in ajaxkit_stages(stats, n, top)]
    text = io.StringIO()
    stats.stream = text  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    body = text.getvalue()
    listing = body[body.find("   ncalls") :] if "   ncalls" in body else body
    lines += ["    top functions by own time:"]
    lines += [f"      {line}" for line in listing.rstrip().splitlines()]
    return "\n".join(lines)


def _is_event_loop(key: tuple[str, int, str]) -> bool:
    # uvloop's C loop (idle waits, C-level socket I/O and HTTP parsing) is
    # billed to the Python frame that started it.
    return key[0].endswith("asyncio/runners.py") or "run_until_complete" in key[2]


def live_profile(target: str, side: str, endpoint: str, seconds: int, top: int) -> str:
    """Profile the real uvicorn server, in this process, while wrk loads it over HTTP.

    The in-process drivers leave out what a real server does around the app
    (and the cache pressure it brings); this measures the app inside it.
    """
    import threading

    import uvicorn

    from bench.apps.data import ECHO_BODY
    from bench.harness.loads import LOADS
    from bench.harness.servers import free_port
    from bench.harness.wrk import wrk_url

    port = free_port()
    config = uvicorn.Config(
        load(TARGETS[target][1]),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off" if target.startswith("django") else "on",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    def load_it() -> None:
        try:
            while not server.started:
                time.sleep(0.05)
            load = LOADS[endpoint]
            if load.csrf is not None:
                raise SystemExit(f"--live profiles endpoints without a CSRF token; not {endpoint}")
            bench_env = {
                "BENCH_BODY": json.dumps(ECHO_BODY) if load.body else "",
                "BENCH_HEADERS": "",
                "BENCH_KEYS": str(load.keys),
            }
            url = f"http://127.0.0.1:{port}/{side}/{load.path}"
            wrk_url(url, bench_env, seconds, 10, True)
        finally:
            server.should_exit = True

    os.sched_setaffinity(0, {0})  # the server's CPU, as in run.py (wrk pins itself to 1)
    threading.Thread(target=load_it, daemon=True).start()
    profiler = cProfile.Profile()  # profiles this (the server's) thread only
    profiler.enable()
    server.run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    table = stats.stats  # type: ignore[attr-defined]
    n = max((v[1] for k, v in table.items() if k[2] == "run_asgi"), default=1)
    for key in [k for k in table if _is_event_loop(k)]:
        del table[key]
    return f"    live: {n} requests, event loop's own time left out\n" + report(stats, n, top)


def body_of(result: Any) -> bytes:
    """The response body, whichever driver produced ``result``."""
    if isinstance(result, bytes):
        return result
    return result.content if hasattr(result, "content") else result.body  # type: ignore[no-any-return]


def checked(endpoint: str, body: bytes) -> None:
    problem = wrong_answer(endpoint, json.loads(body))
    if problem:
        raise RuntimeError(problem)


def runner(target: str, side: str, endpoint: str) -> Callable[[int], float]:
    """``run(n)`` -> seconds for ``n`` requests; the answer is checked once first."""
    kind, spec = TARGETS[target]
    if kind in ("core", "client"):
        call = core_call(side, endpoint, via_client=kind == "client")
        checked(endpoint, body_of(call()))
        return lambda n: run_sync(call, n)
    app = load(spec)
    if kind == "wsgi":
        wcall = wsgi_call(app, side, endpoint)
        checked(endpoint, wcall())
        return lambda n: run_sync(wcall, n)
    acall = asgi_call(app, side, endpoint)
    checked(endpoint, asyncio.run(acall()))
    return lambda n: run_async(acall, n)


def sides_of(target: str) -> tuple[str, ...]:
    return ("ajax",) if TARGETS[target][0] in ("core", "client") else ("raw", "ajax")


def one_side(args: argparse.Namespace) -> None:
    """In a child process: time (and profile) one side of one target.

    Prints the profiles, then one ``RESULT {...}`` line of µs per request.
    """
    timings = {}
    for endpoint in args.endpoints:
        run = runner(args.one, args.side, endpoint)
        run(max(args.n // 20, 50))  # warm up
        timings[endpoint] = run(args.n) * 1e6 / args.n
        if args.profile and (args.side == "ajax" or args.profile_raw):
            print(f"  -- {args.one} {endpoint} {args.side}")
            print(profile(run, max(args.n // 5, 100), args.top), flush=True)
        if args.live and TARGETS[args.one][0] == "asgi":
            print(f"  -- {args.one} {endpoint} {args.side}, live under uvicorn + wrk")
            print(live_profile(args.one, args.side, endpoint, args.live, args.top), flush=True)
    print("RESULT " + json.dumps(timings), flush=True)


def one_target(target: str, args: argparse.Namespace, forwarded: list[str]) -> bool:
    """Run each side of ``target`` in its own process, then print the comparison."""
    timings: dict[str, dict[str, float]] = {}
    profiles = []
    for side in sides_of(target):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "BENCH_SIDE": side,  # one side per process, as bench/run.py serves them
            "BENCH_MOUNT": "front" if target in FRONT_TARGETS else "mount",
        }
        argv = [sys.executable, __file__, *forwarded, "--one", target, "--side", side]
        done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"!! {target} {side} failed:\n{done.stdout}{done.stderr}")
            return False
        text, _, result = done.stdout.rpartition("RESULT ")
        timings[side] = json.loads(result)
        profiles.append(text)
    print(f"\n=== {target}  (n={args.n} per cell, µs per request)")
    for endpoint in args.endpoints:
        line = "  ".join(f"{side} {timings[side][endpoint]:7.1f}" for side in timings)
        if len(timings) == 2:
            raw, ajax = timings["raw"][endpoint], timings["ajax"][endpoint]
            line += f"  ajaxkit-raw {ajax - raw:+7.1f}  raw/ajaxkit {raw / ajax:.2f}x"
        print(f"  {endpoint:<5} {line}")
    print("".join(profiles), end="", flush=True)
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=50_000, help="dispatches per cell (profiled: n/5)")
    parser.add_argument("--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--profile-raw", action="store_true", help="profile the raw views too")
    parser.add_argument("--top", type=int, default=15, help="functions listed per profile")
    parser.add_argument(
        "--live",
        type=int,
        metavar="SECONDS",
        help="also profile each side inside a real uvicorn server under wrk (ASGI targets)",
    )
    parser.add_argument("--one", choices=list(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=("raw", "ajax"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one:
        one_side(args)
        return 0
    forwarded = ["-n", str(args.n), "--top", str(args.top), "--endpoints", *args.endpoints]
    forwarded += [] if args.profile else ["--no-profile"]
    forwarded += ["--profile-raw"] if args.profile_raw else []
    forwarded += ["--live", str(args.live)] if args.live else []
    ok = [one_target(target, args, forwarded) for target in args.targets]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
