"""The pairs of cells measured back to back, and what each pair is held to."""

from __future__ import annotations

from dataclasses import dataclass

from bench.apps.data import ENDPOINTS
from bench.harness.loads import SAFETY
from bench.harness.servers import ALL_SERVERS, PEER, SERVERS
from bench.peers import PEERS, TOLL, Peer, installed


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
