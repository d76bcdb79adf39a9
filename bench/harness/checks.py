"""Checking that every server side answers what it should before anything is timed."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from email.message import Message

from bench.apps.data import ECHO_BODY, ENDPOINTS, RATE, wrong_answer
from bench.harness.loads import LOADS, Load, safety_cells
from bench.harness.servers import PEER, Server, Servers
from bench.peers import PEERS, Peer, admitted_before_refusal


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
    # second. A busy machine (the test suite under coverage) may send fewer
    # than `limit` in some seconds, and `2 * limit` sent that way were all
    # admitted; `10 * limit` gives such a machine many seconds to exceed the
    # rate in one, and none refused in them is no limit at RATE.
    first, second = PROBE_ADDRESSES
    admitted = admitted_before_refusal(server.port, path, first, peer.refusal, 10 * limit)
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
