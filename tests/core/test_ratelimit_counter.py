"""The in-process counting path counts exactly as the generic one.

The rate-limit step counts on a :class:`CounterStorage` through a path of
its own (each window's counter names formatted once per window, counted
under the storage's lock, one limit's fields written without a usage).
For any clock moves, forwards or back, and any keys, it must give the same
usages as the generic path counting on ``limits``' own ``MemoryStorage``:
same counts, resets, header fields and refusals.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)

from ajaxkit import Ajax
from ajaxkit.core import ratelimit
from ajaxkit.core.platform import REFERENCE
from ajaxkit.core.ratelimit import (
    CounterStorage,
    RateLimitConfig,
    RateLimitStep,
    _admit,
    _count,
    _count_here,
)
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import StepCall
from ajaxkit.exceptions import TooManyRequests
from ajaxkit.types import AjaxRequest, Headers, MultiDict

START = 1_700_000_000.0


class _At:
    """A clock standing at ``now``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


def _admit_here(
    headers: list[tuple[str, str]],
    storage: CounterStorage,
    config: RateLimitConfig,
    key: str,
    now: float,
) -> None:
    """Admit one request of client ``key`` through the step itself, counted
    on ``storage`` at ``now``: the way every limited request takes, with its
    one limit counted in :meth:`RateLimitStep.admit` (unless ``config`` has
    several, or counts under the lock)."""
    settings = Settings(clock=_At(now), rate_limit_storage=storage, trusted_proxies=0)
    # Counted under "ip:" and the client's name: a name that is no address
    # is its own bucket, so "ip:1" is the key _count_here is given too.
    client = key.removeprefix("ip:")
    request = AjaxRequest(
        method="GET", path="/e", route="e", headers=Headers({}), query=MultiDict({}), client=client
    )
    call = StepCall(request, settings, REFERENCE, headers)
    assert config.key == "ip"
    assert RateLimitStep().admit(call, config) is None


_rates = st.sampled_from(
    ["3/second", ["2/second", "5/minute"], ["4 per 2 seconds", "10/hour"], "1/day"]
)
_moves = st.lists(
    st.tuples(
        st.floats(min_value=-3.0, max_value=90.0, allow_nan=False),
        st.sampled_from(["ip:1", "ip:2", "u:User:7"]),
    ),
    max_size=40,
)


Same = Callable[[CounterStorage, MemoryStorage, RateLimitConfig, str, float], None]


def _replay_against_limits(
    rate: str | list[str], moves: list[tuple[float, str]], same: Same
) -> None:
    """Run ``same(here, reference, config, key, now)`` for each move, on fresh storages."""
    config = RateLimitStep().configure("e", {"rate": rate, "rate_key": "ip"})
    assert config is not None
    here, reference = CounterStorage(), MemoryStorage()
    try:
        now = START
        for move, key in moves:
            now += move
            same(here, reference, config, key, now)
    finally:
        reference.reset()  # stops limits' expiry timer thread


def _same_count(
    here: CounterStorage, reference: MemoryStorage, config: RateLimitConfig, key: str, now: float
) -> None:
    assert _count_here(here, config, key, now) == _count(reference, config, key, now)


Answer = tuple[list[tuple[str, str]], str | None]


def _answer(admit: Any) -> Answer:
    """The fields an admission wrote, and its refusal's ``Retry-After`` (if refused)."""
    headers: list[tuple[str, str]] = []
    try:
        admit(headers)
    except TooManyRequests as refused:
        return headers, refused.headers["Retry-After"]
    return headers, None


def _same_answer(
    here: CounterStorage, reference: MemoryStorage, config: RateLimitConfig, key: str, now: float
) -> None:
    # The one-frame path (one limit on the default storage) against the
    # generic one over limits' own storage: the same fields, the same refusal.
    assert _answer(lambda headers: _admit_here(headers, here, config, key, now)) == _answer(
        lambda headers: _admit(headers, config, _count(reference, config, key, now))
    )


@pytest.mark.parametrize("same", [_same_count, _same_answer], ids=["counts", "answers"])
@settings(max_examples=200, deadline=None)
@given(_rates, _moves)
def test_counting_here_agrees_with_limits_memory_storage(
    same: Same, rate: str | list[str], moves: list[tuple[float, str]]
) -> None:
    _replay_against_limits(rate, moves, same)


def _used_here(storage: CounterStorage, config: RateLimitConfig, key: str, now: float) -> int:
    """Admit one request through :func:`_admit_here`; how many its window counted."""
    headers, _ = _answer(lambda headers: _admit_here(headers, storage, config, key, now))
    remaining = int(dict(headers)["RateLimit"].split(";r=")[1].split(";")[0])
    return config.limits[0].amount - remaining


@pytest.fixture(params=["without the lock", "under the lock"])
def counting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test using it runs as with the GIL (counters advanced without the
    storage's lock) and as on a free-threaded Python (under it)."""
    if request.param == "under the lock":
        monkeypatch.setattr(ratelimit, "COUNTS_WITHOUT_LOCK", False)


@pytest.mark.usefixtures("counting")
@settings(max_examples=50, deadline=None)
@given(_rates, _moves)
def test_both_ways_of_counting_agree_with_limits_memory_storage(
    rate: str | list[str], moves: list[tuple[float, str]]
) -> None:
    _replay_against_limits(rate, moves, _same_answer)


@pytest.mark.usefixtures("counting")
def test_counts_from_threads_are_exact() -> None:
    config = RateLimitStep().configure("e", {"rate": "100000/hour", "rate_key": "ip"})
    assert config is not None
    storage = CounterStorage()

    def hammer() -> None:
        for _ in range(1000):
            _count_here(storage, config, "ip:1", START)
            _used_here(storage, config, "ip:1", START)  # one limit's own way

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (usage,) = _count_here(storage, config, "ip:1", START)
    assert usage.used == 8001


def _timers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if isinstance(t, threading.Timer)}


def test_making_settings_or_a_registry_starts_no_thread() -> None:
    # limits' MemoryStorage starts an expiry timer in __init__ (~0.5 ms,
    # and a thread), which every Settings paid for its counter store.
    for make in (Settings, Ajax) * 10:
        before = _timers()
        made = make()
        assert _timers() - before == set(), f"{make.__name__}() started a timer thread"
        del made


def test_the_counter_storage_has_everything_limits_memory_storage_has() -> None:
    """A future ``limits`` that adds state to MemoryStorage must not break ours unseen."""
    reference = MemoryStorage()
    try:
        assert set(vars(reference)) <= set(vars(CounterStorage()))
    finally:
        reference.reset()


@pytest.mark.parametrize(
    "strategy", [FixedWindowRateLimiter, MovingWindowRateLimiter, SlidingWindowCounterRateLimiter]
)
def test_limits_own_strategies_work_on_the_counter_storage(strategy: type[Any]) -> None:
    storage = CounterStorage()
    limiter = strategy(storage)
    item = parse("2/minute")
    try:
        assert [limiter.hit(item, "k") for _ in range(3)] == [True, True, False]
        assert not limiter.test(item, "k")
        limiter.clear(item, "k")
        assert limiter.hit(item, "k")
    finally:
        storage.reset()


def test_the_counter_storage_keeps_limits_storage_api() -> None:
    storage = CounterStorage()
    assert storage.incr("k", 60) == 1 and storage.incr("k", 60, amount=2) == 3
    assert storage.get("k") == 3 and storage.decr("k") == 2
    assert storage.get_expiry("k") > time.time()
    assert storage.check()
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    assert storage.reset() == 1 and storage.get("a") == 0
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.incr("b", 60) == 1 and copy.get("b") == 1


def _counted_three_times() -> tuple[CounterStorage, RateLimitConfig, str]:
    """A storage that counted ``ip:1`` three times on a ``5/minute`` endpoint;
    its configuration; and the counter's name in ``limits``' API (_hit's)."""
    config = RateLimitStep().configure("e", {"rate": "5/minute", "rate_key": "ip"})
    assert config is not None
    storage = CounterStorage()
    for _ in range(3):
        _count_here(storage, config, "ip:1", START)
    return storage, config, f"ajaxkit/e/5/minute/{int(START // 60)}/ip:1"


def test_a_pickled_counter_storage_keeps_its_windows_counts() -> None:
    storage, _, name = _counted_three_times()
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.get(name) == 3
    (counts,) = [counts for _, counts in copy._windows.values()]
    assert copy.count_in(counts, "ip:1") == 4 and storage.get(name) == 3


def test_counts_in_windows_answer_limits_api_by_counter_name() -> None:
    # limits' API names a counter as the generic path does (_hit's name).
    storage, config, name = _counted_three_times()
    assert storage.get(name) == 3
    assert storage.get(name.replace("ip:1", "ip:2")) == 0
    storage.clear(name)
    assert storage.get(name) == 0
    (usage,) = _count_here(storage, config, "ip:1", START)
    assert usage.used == 1
    assert storage.reset() == 1
    (usage,) = _count_here(storage, config, "ip:1", START)
    assert usage.used == 1  # a reset storage starts the window again
    assert storage.get(name) == 1


def test_a_config_moved_to_another_storage_counts_there() -> None:
    # One endpoint's configuration counted on a fresh storage (another
    # Settings) must not keep counting in the first storage's window.
    config = RateLimitStep().configure("e", {"rate": "5/minute", "rate_key": "ip"})
    assert config is not None
    first, second = CounterStorage(), CounterStorage()
    _count_here(first, config, "ip:1", START)
    (usage,) = _count_here(second, config, "ip:1", START)
    assert usage.used == 1
    third = CounterStorage()
    assert _used_here(third, config, "ip:1", START) == 1
    assert _used_here(first, config, "ip:1", START) == 2


def test_old_windows_are_dropped_when_a_new_one_starts() -> None:
    storage = CounterStorage()
    storage.count_in(storage.window("old/", -1), "k")  # already past its time
    storage.window("new/", 60)
    assert storage.get("old/k") == 0
    assert list(storage._windows) == ["new/"]


def test_a_limits_pairs_outlive_its_windows() -> None:
    # A pair depends on the remaining count and the reset, not on the
    # window: each window starting with an empty cache made its first
    # request at each count format the pair again.
    storage = CounterStorage()
    config = RateLimitStep().configure("e", {"rate": "5/second", "rate_key": "ip"})
    assert config is not None
    first: list[tuple[str, str]] = []
    _admit_here(first, storage, config, "ip:1", START + 0.5)
    later: list[tuple[str, str]] = []
    _admit_here(later, storage, config, "ip:1", START + 1.5)  # the next window
    assert later[1] == first[1] and later[1] is first[1]


def test_a_limits_pairs_stay_bounded() -> None:
    storage = CounterStorage()
    config = RateLimitStep().configure("e", {"rate": "5000/hour", "rate_key": "ip"})
    assert config is not None
    for n in range(1100):  # 1,100 different remaining counts
        _admit_here([], storage, config, "ip:1", START + n * 0.001)
    assert 0 < len(config.windows[0].fields) <= 1024
