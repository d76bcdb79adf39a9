"""The peers: what a user of each framework would install instead of ajaxkit's guards.

``bench/run.py`` measures each peer on the ``peer`` side of a server (the
framework's raw views below ``/peer/``, with the peer installed as its docs
say, see :mod:`bench.apps`) exactly as it measures ajaxkit's guard on the
``ajax`` side: the guarded view against its unguarded twin in the same
process, with the same requests.  What is here is the table of peers, the
check that a peer really guards (it refuses what it should, and only that),
and the sentences that set each peer's cost beside ajaxkit's.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PEERS",
    "TOLL",
    "Peer",
    "admitted_before_refusal",
    "cost_lines",
    "installed",
]


@dataclass(frozen=True)
class Peer:
    """One package guarding a framework's raw views the way an ajaxkit guard does."""

    name: str
    #: The status it refuses with (a missing token; a client over its limit).
    refusal: int
    #: The response header showing a request was counted, or ``None``: it writes none.
    header: str | None = None


#: (framework, guard) -> its peer; the guard is a label of :data:`bench.harness.loads.SAFETY`.
#: Starlette has no CSRF package of its own (nothing its docs point to), so
#: ajaxkit's CSRF step is measured there alone.  django-ratelimit writes no
#: headers.
PEERS: dict[tuple[str, str], Peer] = {
    ("django", "csrf token"): Peer("Django's CsrfViewMiddleware", 403),
    ("flask", "csrf token"): Peer("Flask-WTF", 400),
    ("django", "100/second memory"): Peer("django-ratelimit", 403),
    ("flask", "100/second memory"): Peer("Flask-Limiter", 429, "X-RateLimit-Limit"),
    ("starlette", "100/second memory"): Peer("slowapi", 429, "X-RateLimit-Limit"),
    ("fastapi", "100/second memory"): Peer("slowapi", 429, "X-RateLimit-Limit"),
}

#: The guard of the comparison of a peer side's unguarded ``small`` against the
#: raw side's: what having the peers installed costs every request of the app.
TOLL = "toll"

#: The peers' packages installed on each framework's ``peer`` side (Django's
#: CSRF middleware is on every side, so it is no toll of the peer side's).
_INSTALLED = {
    "django": ("django-ratelimit",),
    "flask": ("Flask-Limiter", "Flask-WTF"),
    "starlette": ("slowapi",),
    "fastapi": ("slowapi",),
}


def installed(framework: str) -> str:
    """The packages installed on ``framework``'s peer side, as a reader reads them."""
    return ", ".join(_INSTALLED[framework])


def admitted_before_refusal(port: int, path: str, address: str, refusal: int, most: int) -> int:
    """How many GETs of ``path`` from client ``address`` are answered 200 before ``refusal``.

    The address goes in ``X-Forwarded-For`` (one proxy trusted, as wrk sends
    it).  Raises ``RuntimeError`` on any other status, or when ``most``
    requests were all admitted.  One kept-alive connection where the server
    keeps it, so that a loaded machine still sends more than the limit a second.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for admitted, status in enumerate(_statuses(connection, path, address, most)):
            if status == refusal:
                return admitted
            if status != 200:
                raise RuntimeError(f"{path} from {address}: {status}, not 200 or {refusal}")
    finally:
        connection.close()
    raise RuntimeError(f"{path} from {address}: {most} requests admitted, none refused")


def _statuses(
    connection: http.client.HTTPConnection, path: str, address: str, most: int
) -> Iterator[int]:
    for _ in range(most):
        connection.request("GET", path, headers={"X-Forwarded-For": address})
        response = connection.getresponse()
        response.read()
        yield response.status


def cost_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One sentence per peer row: its cost in server CPU a request beside ajaxkit's.

    ajaxkit's rows are those of the same guard on the peer's own server, or on
    a server of the same framework that has no peer side of its own (the
    ``front`` mounts, whose raw views are the plain server's).
    """
    lines = []
    for peer in rows:
        if peer["by"] == "ajaxkit" or peer["guard"] in (TOLL, None):
            continue
        ours = [
            r
            for r in rows
            if r["by"] == "ajaxkit"
            and r["guard"] == peer["guard"]
            and r["framework"] == peer["framework"]
            and (r["server"] == peer["server"] or not r["has_peers"])
        ]
        # The toll of the peer side's packages, when this peer is one of them.
        toll = [
            r
            for r in rows
            if r["guard"] == TOLL
            and r["server"] == peer["server"]
            and peer["by"] in _INSTALLED[peer["framework"]]
        ]
        line = (
            f"- {peer['server']} {peer['guard']}: {peer['by']} costs "
            f"{_us(peer['cost_us'])} of server CPU a request ({_x(peer['ratio_cpu'])} by CPU)"
        )
        if ours:
            line += "; ajaxkit " + ", ".join(
                f"{_us(r['cost_us'])} on {r['server']} ({_x(r['ratio_cpu'])})" for r in ours
            )
        if toll:
            line += (
                f"; and with {toll[0]['by']} installed, an unguarded request of the same app "
                f"costs {_us(toll[0]['cost_us'], sign=True)} (the toll)"
            )
        lines.append(line + ".")
    return lines


def _us(value: float | None, sign: bool = False) -> str:
    return "-" if value is None else f"{value:{'+' if sign else ''}.1f} µs"


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"
