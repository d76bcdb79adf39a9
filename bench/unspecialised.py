"""Which of ajaxkit's instructions stay unspecialised while it answers one cell's request.

Run from the repository root with the repository's ``.venv`` (CPython 3.11)::

    .venv/bin/python bench/unspecialised.py --cell limited
    .venv/bin/python bench/unspecialised.py --server starlette-front --cell csrf-token

CPython 3.11 rewrites a hot instruction into a form specialised for what it
met (``LOAD_ATTR`` into ``LOAD_ATTR_SLOT`` for a slot, ``COMPARE_OP`` into
``COMPARE_OP_FLOAT_JUMP`` for two floats, ...).  Where it cannot, the
instruction stays in its ``*_ADAPTIVE`` form and does the general work every
time: reading a named tuple's field, a class attribute through an instance,
or any attribute of an instance whose ``__dict__`` was made (which a
``functools.cached_property`` does), or comparing an int with a float, each
cost a request ~50-250 instructions more.  Nothing else shows them:
cProfile sees calls, callgrind sees the interpreter's C functions.

The cell's request (``bench/harness/loads.py``: its path, body, CSRF headers
and rotating ``X-Forwarded-For``) is driven into the server's ASGI app in
this process ``--warmup`` times, then once more with opcode tracing; the
instructions of ajaxkit's own code that ran in that request and are still
unspecialised are printed by function.  ``CALL_ADAPTIVE`` is left out: a
call of a C function is specialised in the ``PRECALL`` before it.
"""

from __future__ import annotations

import argparse
import asyncio
import dis
import importlib
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.apps.data import ECHO_BODY  # noqa: E402
from bench.harness.loads import LOADS, Load  # noqa: E402

#: The ASGI servers, and the app module each serves (``BENCH_MOUNT=front`` for ``-front``).
APPS = {
    "starlette": "bench.apps.starlette_app",
    "starlette-front": "bench.apps.starlette_app",
    "fastapi": "bench.apps.fastapi_app",
    "fastapi-front": "bench.apps.fastapi_app",
}
#: Where ajaxkit's code lives: only its instructions are reported.
PACKAGE = str(ROOT / "src" / "ajaxkit")
#: Unspecialised forms that cost nothing: a C function's call is specialised in its PRECALL.
IGNORED = frozenset({"CALL_ADAPTIVE"})
#: Client addresses a rate-limited cell rotates over: in process the app
#: answers up to ~6,000 requests a second, and 64 addresses keep each under
#: the cell's ``100/second``.
ADDRESSES = 64


@dataclass(frozen=True)
class Finding:
    """One instruction that ran unspecialised."""

    function: str  # "ajaxkit/core/ratelimit.py:172 RateLimitStep.admit"
    offset: int
    opname: str  # its adaptive form, e.g. "LOAD_ATTR_ADAPTIVE"
    argument: str  # e.g. the attribute's name
    line: int | None


def unspecialised(codes: dict[CodeType, set[int]]) -> list[Finding]:
    """The instructions at ``codes``' offsets (those that ran) that are unspecialised."""
    found = []
    for code, offsets in sorted(codes.items(), key=lambda item: _where(item[0])):
        for offset, name, argument, line in _instructions(code):
            if offset in offsets and _is_unspecialised(name):
                found.append(Finding(_where(code), offset, name, argument, line))
    return found


def _instructions(code: CodeType) -> Iterator[tuple[int, str, str, int | None]]:
    """Each instruction of ``code`` as it is now: offset, name, argument, line."""
    if sys.version_info < (3, 11):  # pragma: no cover - main() refuses first
        raise RuntimeError("needs CPython 3.11")
    for instruction in dis.get_instructions(code, adaptive=True):
        line = instruction.positions.lineno if instruction.positions else None
        yield instruction.offset, instruction.opname, instruction.argrepr, line


def _is_unspecialised(opname: str) -> bool:
    return opname.endswith("_ADAPTIVE") and opname not in IGNORED


def _where(code: CodeType) -> str:
    path = code.co_filename.removeprefix(str(ROOT / "src") + os.sep)
    # co_qualname is 3.11's (the type checker targets 3.10).
    return f"{path}:{code.co_firstlineno} {getattr(code, 'co_qualname', code.co_name)}"


def warmed(run: Callable[[], object], times: int) -> None:
    """Call ``run`` ``times`` times with no tracer, so that CPython specialises
    what it can: under a tracer (coverage's too) nothing is specialised."""
    previous = sys.gettrace()
    sys.settrace(None)
    try:
        for _ in range(times):
            run()
    finally:
        sys.settrace(previous)


def traced(run: Callable[[], object], under: str = PACKAGE) -> dict[CodeType, set[int]]:
    """Call ``run`` once, recording the offset of every instruction it executes
    in code whose file lies under ``under``."""
    ran: dict[CodeType, set[int]] = defaultdict(set)

    def opcodes(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            ran[frame.f_code].add(frame.f_lasti)
        return opcodes

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(under):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return opcodes

    # The event loop runs the coroutines; sys.settrace covers this thread's
    # frames.  A tracer already there (coverage's) is put back after.
    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(previous)
    return dict(ran)


# -- Driving a cell's request -----------------------------------------------------


class CellDriver:
    """Sends one cell's request into an ASGI app, as wrk sends it to the server."""

    def __init__(self, app: Any, load: Load, addresses: int = ADDRESSES) -> None:
        self.app = app
        self.load = load
        #: Client addresses a rate-limited cell rotates over (see bench/instructions.py).
        self.addresses = addresses
        self.body = json.dumps(ECHO_BODY).encode() if load.body else b""
        self.extra: list[tuple[bytes, bytes]] = []
        self.sent = 0

    def prepare(self) -> None:
        """The headers of the cell's CSRF kind: a browser's ``fetch()`` ones, or
        a token (fetched from the app, with its cookie)."""
        if self.load.csrf == "fetch":
            self.extra = [
                (b"origin", b"http://127.0.0.1:8000"),
                (b"sec-fetch-site", b"same-origin"),
                (b"sec-fetch-mode", b"cors"),
                (b"sec-fetch-dest", b"empty"),
            ]
        elif self.load.csrf == "token":
            start, body = asyncio.run(self._exchange("GET", "/ajax/_csrf", [], b""))
            cookie = dict(start["headers"])[b"set-cookie"].split(b";")[0]
            self.extra = [(b"cookie", cookie), (b"x-csrftoken", json.loads(body)["token"].encode())]

    def send(self) -> None:
        """One request; raise unless it is answered 200."""
        asyncio.run(self.asend())

    def repeat(self) -> None:
        """The last request again, from the same address: the common case of a
        known client, not a rarer path (a client's first request in a window)."""
        self.sent -= 1
        self.send()

    async def asend(self) -> None:
        headers = list(self.extra)
        if self.load.body:
            headers += [(b"content-type", b"application/json")]
            headers += [(b"content-length", str(len(self.body)).encode())]
        if self.load.keys:
            n = (self.sent + 1) % self.addresses  # as bench.lua rotates them
            headers.append(
                (b"x-forwarded-for", f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}".encode())
            )
        self.sent += 1
        method = "POST" if self.load.body else "GET"
        start, body = await self._exchange(method, f"/ajax/{self.load.path}", headers, self.body)
        if start["status"] != 200:
            raise RuntimeError(f"{self.load.path}: {start['status']} {body[:200]!r}")

    async def _exchange(
        self, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[dict[str, Any], bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:  # pragma: no cover - only a disconnect is left to wait for
                await asyncio.Event().wait()
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0], b"".join(m.get("body", b"") for m in sent[1:])


def load_app(server: str) -> Any:
    """The ajaxkit side of ``server``'s bench app, as ``run.py`` serves it.

    Its module reads the environment when imported, so it is imported
    afresh under ``server``'s and forgotten again, leaving this process's
    environment and modules as they were.
    """
    name = APPS[server]
    settings = {
        "BENCH_SIDES": "ajax",
        "BENCH_MOUNT": "front" if server.endswith("-front") else "mount",
    }
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name).app
    finally:
        sys.modules.pop(name, None)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def report(findings: Iterable[Finding]) -> str:
    """The findings by function, one instruction a line."""
    lines: list[str] = []
    function = None
    count = 0
    for finding in findings:
        if finding.function != function:
            function = finding.function
            lines.append(function)
        where = f"(line {finding.line})"
        lines.append(f"    {finding.offset:5d} {finding.opname:26s} {finding.argument}  {where}")
        count += 1
    lines.append(f"{count} unspecialised instruction(s) ran")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", choices=list(APPS), default="starlette")
    parser.add_argument("--cell", choices=list(LOADS), default="limited")
    parser.add_argument(
        "--warmup", type=int, default=2000, help="requests before the traced one (default 2000)"
    )
    parser.add_argument(
        "--addresses",
        type=int,
        default=ADDRESSES,
        help=f"client addresses a rate-limited cell rotates over (default {ADDRESSES})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Warm the cell's request up, trace one more, print what ran unspecialised."""
    if sys.version_info[:2] != (3, 11):
        print("needs CPython 3.11: the names of specialised instructions differ by version")
        return 1
    args = parse_args(argv)
    driver = CellDriver(load_app(args.server), LOADS[args.cell], args.addresses)
    driver.prepare()
    warmed(driver.send, args.warmup)
    print(report(unspecialised(traced(driver.repeat))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
