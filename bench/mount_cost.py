"""What mounting a registry costs, per integration, and how often it reads a handler's hints.

Run from the repository root with the repository's ``.venv``::

    .venv/bin/python bench/mount_cost.py                 # 100 endpoints, 50 mounts
    .venv/bin/python bench/mount_cost.py --endpoints 10 --mounts 5

Registers ``--endpoints`` handlers with typed parameters, then mounts the
registry ``--mounts`` times with each integration (FastAPI ``mount``,
``app``, ``front`` and ``mount(app=...)`` with its ``/openapi.json``,
Starlette ``mount``, a Flask blueprint) and prints the time per mount (best
of ``--rounds``) and the ``typing.get_type_hints`` calls one mount makes.
A mount's cost should not grow with the endpoints: the checks that depend
only on a handler ran when it was registered.  Each mount is checked to
answer before anything is timed.
"""

from __future__ import annotations

import argparse
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import flask  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

import ajaxkit.fastapi  # noqa: E402
import ajaxkit.flask  # noqa: E402
import ajaxkit.starlette  # noqa: E402
from ajaxkit import Ajax, AjaxRequest  # noqa: E402


def registry(endpoints: int) -> Ajax:
    """``endpoints`` handlers ``e0``, ``e1``, ... each adding its two parameters."""
    api = Ajax()
    for index in range(endpoints):

        def handler(request: AjaxRequest, a: int, b: int = 1) -> dict[str, int]:
            return {"sum": a + b}

        handler.__qualname__ = handler.__name__ = f"e{index}"
        api.add(f"e{index}", handler, methods=["GET"])
    return api


def _fastapi_openapi(api: Ajax) -> Any:
    app = FastAPI()
    app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))
    app.openapi()
    return app


def _starlette(api: Ajax) -> Any:
    return Starlette(routes=[ajaxkit.starlette.mount("/ajax", api)])


def _fastapi_front(api: Ajax) -> Any:
    return ajaxkit.fastapi.front(api, FastAPI())


def _flask(api: Ajax) -> Any:
    app = flask.Flask(__name__)
    app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax")
    return app.test_client()


def _fastapi_mount(api: Ajax) -> Any:
    app = FastAPI()
    app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api))
    return app


#: Each way of serving a registry: a function of the registry giving an ASGI
#: app (or Flask's test client) that answers below ``/ajax``.
MOUNTS: dict[str, Callable[[Ajax], Any]] = {
    "fastapi.mount": _fastapi_mount,
    "fastapi.mount(app=) + openapi()": _fastapi_openapi,
    "fastapi.front": _fastapi_front,
    "starlette.mount": _starlette,
    "flask.blueprint": _flask,
}


def check_answers(api: Ajax, mounted: Any, label: str) -> None:
    """Exit when the mount does not answer ``e0?a=2`` with ``{"sum": 3}``."""
    client = mounted if isinstance(mounted, FlaskClient) else TestClient(mounted)
    response = client.get("/ajax/e0?a=2")
    body = response.get_json() if hasattr(response, "get_json") else response.json()
    if response.status_code != 200 or body != {"sum": 3}:
        sys.exit(f"{label}: e0?a=2 answered {response.status_code} {body!r}")


def hints_per_mount(api: Ajax, mount: Callable[[Ajax], Any]) -> int:
    """The ``typing.get_type_hints`` calls one more mount of ``api`` makes."""
    real = typing.get_type_hints
    calls = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    typing.get_type_hints = counting
    try:
        mount(api)
    finally:
        typing.get_type_hints = real
    return calls


def best_time(api: Ajax, mount: Callable[[Ajax], Any], mounts: int, rounds: int) -> float:
    """The best of ``rounds`` times, in ms per mount."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(mounts):
            mount(api)
        best = min(best, (time.perf_counter() - start) / mounts)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--mounts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    api = registry(args.endpoints)
    for label, mount in MOUNTS.items():
        check_answers(api, mount(api), label)
    print(f"{args.endpoints} endpoints; ms per mount (best of {args.rounds}), hints read per mount")
    for label, mount in MOUNTS.items():
        took = best_time(api, mount, args.mounts, args.rounds)
        print(f"{label:34s} {took:8.3f} ms  {hints_per_mount(api, mount):5d} get_type_hints")


if __name__ == "__main__":
    main()
