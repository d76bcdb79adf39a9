"""What a hostile body costs to check: CPU per megabyte, shape by shape.

Run from the repository root with the repository's ``.venv``::

    .venv/bin/python bench/input_cost.py            # every shape, best of 5
    .venv/bin/python bench/input_cost.py --rounds 3 --shapes tiny-objects

Each shape is a body of about ``--size`` bytes (default: just under the
default body limit) that every limit lets through, or refuses as late as it
can.  For each it prints the CPU time, in milliseconds per megabyte, of the
input limits alone (``check_input_limits``, after parsing) and of a whole
request through the framework-free test client (parse, limits, binding,
handler, rendering) to an endpoint taking the request, to one binding a
parameter, and with a query string.  Figures are process CPU time, best of
``--rounds``; each answer's status is checked before anything is timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from ajaxkit import Ajax, AjaxRequest  # noqa: E402
from ajaxkit.core.body import parse_body  # noqa: E402
from ajaxkit.core.limits import check_input_limits  # noqa: E402
from ajaxkit.core.settings import DEFAULT_MAX_BODY_SIZE  # noqa: E402
from ajaxkit.exceptions import ClientError  # noqa: E402
from ajaxkit.testing import Client  # noqa: E402
from ajaxkit.types import Headers, MultiDict  # noqa: E402

MB = 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _repeat(item: bytes, size: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    """``open_ item,item,... close`` of about ``size`` bytes."""
    count = max(1, (size - len(open_) - len(close)) // (len(item) + 1))
    return open_ + b",".join([item] * count) + close


def _keyed(size: int) -> bytes:
    """``{"data": {"k0":0,"k1":0,...}}``: one wide object below the top level."""
    members, total, i = [], 0, 0
    while total < size - 40:
        member = b'"k%d":0' % i
        members.append(member)
        total += len(member) + 1
        i += 1
    return b'{"data":{' + b",".join(members) + b"}}"


def _multipart() -> tuple[bytes, str]:
    """The most parts ``max_params`` lets through, each as small as a part can be."""
    part = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'
    return part * 999 + b"--b--\r\n", "multipart/form-data; boundary=b"


def shapes(size: int) -> dict[str, tuple[bytes, str]]:
    """Each shape's body and content type."""
    deep = b"[" * 64 + b"]" * 64
    return {
        "tiny-objects": (_repeat(b'{"a":1}', size), JSON),
        "empty-lists": (_repeat(b"[]", size), JSON),
        "deep-allowed": (_repeat(b"[" * 63 + b"]" * 63, size), JSON),
        "deep-refused-last": (
            _repeat(b"[]", size - 200)[:-1] + b"," + deep[:1] + deep + b"]]",
            JSON,
        ),
        "short-strings": (_repeat(b'"a"', size), JSON),
        "empty-strings": (_repeat(b'""', size), JSON),
        "numbers": (_repeat(b"0", size), JSON),
        "one-huge-string": (b'{"a":"' + b"x" * (size - 10) + b'"}', JSON),
        "escaped-string": (b'{"a":"' + b"\\n" * ((size - 10) // 2) + b'"}', JSON),
        "wide-object": (_keyed(size), JSON),
        "form-fields": (b"&".join([b"a=b"] * 999) + b"&a=" + b"x" * (size - 5000), FORM),
        "form-tiny-fields": (b"a&" * (size // 2), FORM),
        "form-many-ampersands": (b"a=b&" + b"&" * (size - 10), FORM),
        "multipart-999": _multipart(),
    }


#: The shapes a limit refuses (400); every other one is answered 200.
REFUSED = frozenset({"deep-refused-last", "form-tiny-fields"})


def build_api() -> Ajax:
    """The endpoints posted to: one taking the request, one binding parameters."""
    api = Ajax()

    @api.endpoint("any", methods=["POST"], csrf_exempt=True)
    def any_(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    @api.endpoint("bound", methods=["POST"], csrf_exempt=True)
    def bound(request: AjaxRequest, data: Any = None, a: Any = None) -> dict[str, bool]:
        return {"ok": True}

    return api


def cpu(rounds: int, call: Callable[[], object]) -> float:
    """The best of ``rounds`` CPU times of ``call``, in seconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def limits_only(api: Ajax, body: bytes, content_type: str, query: str) -> Callable[[], object]:
    """``check_input_limits`` on an already parsed request."""
    request = AjaxRequest(
        method="POST",
        path="/ajax/any",
        route="any",
        headers=Headers([("content-type", content_type)]),
        query=MultiDict(parse_qsl(query)),
        body=body,
    )
    try:
        parse_body(request, body, len(body) + 1, max_parts=api.settings.max_params)
    except ClientError:  # refused while parsing: the limits never run
        return lambda: None

    def call() -> object:
        try:
            check_input_limits(request, api.settings)
        except Exception as exc:  # a refusal is an answer too
            return exc
        return None

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=DEFAULT_MAX_BODY_SIZE - 64)
    parser.add_argument("--shapes", nargs="*")
    args = parser.parse_args()
    api = build_api()
    client = Client(api)
    columns = " ".join(f"{c:>8}" for c in ("limits", "any", "bound", "?q=1"))
    print(f"{'shape':22} {'bytes':>8} {'status':>6} {columns}  ms CPU/MB")
    for name, (body, content_type) in shapes(args.size).items():
        if args.shapes and name not in args.shapes:
            continue
        headers = {"Content-Type": content_type}

        def post(path: str, body: bytes = body, headers: dict[str, str] = headers) -> int:
            return client.post(path, content=body, headers=headers).status

        status = post("/ajax/any")
        expected = 400 if name in REFUSED else 200
        if status != expected:
            sys.exit(f"{name}: answered {status}, not {expected}; nothing timed")
        mb = len(body) / MB
        figures = [
            cpu(args.rounds, limits_only(api, body, content_type, "")),
            cpu(args.rounds, lambda: post("/ajax/any")),
            cpu(args.rounds, lambda: post("/ajax/bound")),
            cpu(args.rounds, lambda: post("/ajax/any?" + urlencode({"q": "1"}))),
        ]
        row = " ".join(f"{1000 * f / mb:8.1f}" for f in figures)
        print(f"{name:22} {len(body):8} {status:6} {row}  ms CPU/MB")


if __name__ == "__main__":
    main()
