"""Large parses run with the garbage collector held off, and leave it as they found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from ajaxkit.core.body import HELD_PARSE_SIZE, parse_body
from ajaxkit.core.collector import collector_held
from ajaxkit.types import AjaxRequest, Headers, MultiDict


def _json_request() -> AjaxRequest:
    headers = Headers([("Content-Type", "application/json")])
    return AjaxRequest(method="POST", path="/", route="", headers=headers, query=MultiDict())


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def _collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())


def test_a_large_json_body_is_parsed_without_collections(collector_on: None) -> None:
    # 350,000 lists: collected on the way, they cost four times the parse.
    raw = b"[" + b",".join([b"[]"] * 350_000) + b"]"
    request = _json_request()
    before = _collections()
    parse_body(request, raw, len(raw))
    # One collection, on the first allocation after: the young generation
    # is collected once, not every 700 containers (500 times here).
    assert _collections() - before <= 2
    assert len(request.data) == 350_000
    assert gc.isenabled()


def test_a_small_body_leaves_the_collector_alone(collector_on: None) -> None:
    raw = b"[" + b",".join([b"[]"] * (HELD_PARSE_SIZE // 4)) + b"]"
    parse_body(_json_request(), raw, len(raw))
    assert gc.isenabled()


def test_a_collector_switched_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_held():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_collector_resumes_when_the_last_holder_leaves(collector_on: None) -> None:
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_held():
            inside.set()
            assert leave.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    assert inside.wait(10)
    with collector_held():
        pass
    assert not gc.isenabled()  # the other thread still holds it
    leave.set()
    other.join()
    assert gc.isenabled()
