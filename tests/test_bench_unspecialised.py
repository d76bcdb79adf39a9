"""bench/unspecialised.py finds the instructions CPython 3.11 left unspecialised,
and the guarded requests' own code runs without avoidable ones."""

from __future__ import annotations

import sys
from typing import NamedTuple

import pytest

from bench import unspecialised
from bench.harness.loads import LOADS

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="names CPython 3.11's specialised instructions"
)


class _Pair(NamedTuple):
    first: int
    second: int


class _Slots:
    __slots__ = ("first", "second")

    def __init__(self) -> None:
        self.first, self.second = 1, 2


def _read_named_tuple(pair: _Pair) -> int:
    return pair.second


def _read_slot(pair: _Slots) -> int:
    return pair.second


def test_a_named_tuple_field_read_is_found_and_a_slot_read_is_not() -> None:
    named, slots = _Pair(1, 2), _Slots()

    def both() -> None:
        _read_named_tuple(named)
        _read_slot(slots)

    unspecialised.warmed(both, 100)
    found = unspecialised.unspecialised(unspecialised.traced(both, under=__file__))
    reads = {(f.function.rpartition(" ")[2], f.opname, f.argument) for f in found}
    assert ("_read_named_tuple", "LOAD_ATTR_ADAPTIVE", "second") in reads
    assert not any(function == "_read_slot" for function, _, _ in reads)


#: What the guarded requests' own frames may still run unspecialised: the
#: injected clock's ``time`` (a staticmethod; the method it would take
#: instead costs more), and admission's call of each step's ``admit`` (one
#: call site for every kind of step, and CPython 3.11 specialises a site
#: for one).


def _avoidable(found: list[unspecialised.Finding], functions: set[str]) -> list[str]:
    return [
        f"{f.function} {f.opname} {f.argument} (line {f.line})"
        for f in found
        if f.function.rpartition(" ")[2] in functions
        and not (f.opname == "LOAD_METHOD_ADAPTIVE" and f.argument in {"time", "admit"})
        and not (f.opname == "PRECALL_ADAPTIVE" and _clock_or_step_call(f, found))
    ]


def _clock_or_step_call(call: unspecialised.Finding, found: list[unspecialised.Finding]) -> bool:
    if call.function.endswith(" admit") and call.function.startswith("ajaxkit/core/admission"):
        return True
    return any(
        f.function == call.function and f.argument == "time" and f.line == call.line for f in found
    )


@pytest.mark.starlette
@pytest.mark.parametrize(
    ("cell", "functions"),
    [
        ("limited", {"admit", "RateLimitStep.admit", "client_address"}),
        ("csrf-token", {"admit", "CsrfStep.admit", "check_headers_then_token"}),
    ],
)
def test_the_guards_run_specialised(cell: str, functions: set[str]) -> None:
    """Each frame a guarded request always runs: no named-tuple window, no
    cached property, no int compared with a float (each measured at
    ~50-250 instructions a request)."""
    driver = unspecialised.CellDriver(unspecialised.load_app("starlette"), LOADS[cell])
    driver.prepare()
    unspecialised.warmed(driver.send, 300)
    found = unspecialised.unspecialised(unspecialised.traced(driver.repeat))
    ran = {f.function.rpartition(" ")[2] for f in found}
    assert ran & functions, "the guard's frames ran unseen"
    assert _avoidable(found, functions) == []
