"""What the CSRF step costs: a POST echo checked vs. the same endpoint exempted.

In-process (no sockets), through the framework-free pipeline and through the
Starlette ASGI app, with the headers a browser sends on a page's own
``fetch()``.  Rounds alternate between the two endpoints (ABBA) so that drift on a
busy machine hits both, time is this process's CPU time (another process
taking the core does not count), and the ratio is of the best rounds.

    .venv/bin/python bench/csrf.py [--rounds 40] [--number 2000]

Target (issue "Safe by default"): checked >= 0.95 x exempt.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Callable

import orjson

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.types import Headers, MultiDict

BODY = orjson.dumps(
    {
        "title": "Buy milk",
        "tags": ["home", "errands", "dairy"],
        "done": False,
        "assignee": {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com"},
        "notes": "Semi-skimmed, two litres, from the shop on the corner.",
    }
)
HEADERS = (
    ("Host", "app.example"),
    ("Origin", "http://app.example"),
    ("Sec-Fetch-Site", "same-origin"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Dest", "empty"),
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BODY))),
    ("Accept", "application/json"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36"),
)


def make_api(*, asynchronous: bool = False) -> Ajax:
    """Two POST echo endpoints, one exempt; async handlers for the ASGI run,
    so that no thread hand-off (tens of microseconds) drowns the step."""
    api = Ajax()

    def echo(request: AjaxRequest) -> object:
        return request.data

    async def aecho(request: AjaxRequest) -> object:
        return request.data

    handler = aecho if asynchronous else echo
    api.add("echo", handler, methods=["POST"])
    api.add("echo-exempt", handler, methods=["POST"], csrf_exempt=True)
    return api


def reference_call(api: Ajax, route: str) -> Callable[[], object]:
    def call() -> object:
        request = AjaxRequest(
            method="POST",
            path=f"/ajax/{route}",
            route=route,
            headers=Headers(HEADERS),
            query=MultiDict(),
            body=BODY,
        )
        response = api.dispatch(request)
        assert response.status == 200, response.body
        return response

    return call


def asgi_call(api: Ajax, route: str) -> Callable[[int], float]:
    """``number`` requests through the ASGI app in one event loop; returns requests/s."""
    import ajaxkit.starlette

    app = ajaxkit.starlette.app(api)
    raw = [(k.lower().encode(), v.encode()) for k, v in HEADERS]
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": f"/ajax/{route}",
        "root_path": "/ajax",
        "query_string": b"",
        "headers": raw,
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200

    async def many(number: int) -> float:
        start = time.process_time()
        for _ in range(number):
            await app(dict(scope), receive, send)
        return number / (time.process_time() - start)

    return lambda number: asyncio.run(many(number))


def sync_rate(call: Callable[[], object]) -> Callable[[int], float]:
    def rate(number: int) -> float:
        start = time.process_time()
        for _ in range(number):
            call()
        return number / (time.process_time() - start)

    return rate


def compare(
    name: str,
    checked: Callable[[int], float],
    exempt: Callable[[int], float],
    args: argparse.Namespace,
) -> float:
    rates: dict[str, list[float]] = {"checked": [], "exempt": []}
    sides = [("checked", checked), ("exempt", exempt)]
    for round_ in range(args.rounds):
        # ABBA order: whichever runs first in a round is not favoured.
        for side, run in sides if round_ % 2 == 0 else sides[::-1]:
            gc.collect()
            rates[side].append(run(args.number))
    top_checked, top_exempt = max(rates["checked"]), max(rates["exempt"])
    ratio = top_checked / top_exempt
    print(f"{name:10} checked {top_checked:9.0f}/s  exempt {top_exempt:9.0f}/s  ratio {ratio:.3f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    api, aapi = make_api(), make_api(asynchronous=True)
    ratios = [
        compare(
            "reference",
            sync_rate(reference_call(api, "echo")),
            sync_rate(reference_call(api, "echo-exempt")),
            args,
        ),
        compare("starlette", asgi_call(aapi, "echo"), asgi_call(aapi, "echo-exempt"), args),
    ]
    verdict = "met" if min(ratios) >= 0.95 else "MISSED"
    print(f"target checked >= 0.95 x exempt: {verdict}")


if __name__ == "__main__":
    main()
