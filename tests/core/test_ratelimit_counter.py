"""The in-process counting path counts exactly as the generic one.

The rate-limit step counts on a :class:`CounterStorage` through a path of
its own (each window's counter names formatted once per window, the
counter's unwrapped ``count``).  For any clock moves, forwards or back, and
any keys, it must give the same usages as the generic path counting on
``limits``' own ``MemoryStorage``: same counts, resets and header fields.
"""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st
from limits.storage import MemoryStorage

from ajaxkit.core.ratelimit import CounterStorage, RateLimitStep, _count, _count_here

START = 1_700_000_000.0

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


@settings(max_examples=200, deadline=None)
@given(_rates, _moves)
def test_counting_here_agrees_with_limits_memory_storage(
    rate: str | list[str], moves: list[tuple[float, str]]
) -> None:
    config = RateLimitStep().configure("e", {"rate": rate, "rate_key": "ip"})
    assert config is not None
    here, reference = CounterStorage(), MemoryStorage()
    try:
        now = START
        for move, key in moves:
            now += move
            assert _count_here(here, config, key, now) == _count(reference, config, key, now)
    finally:
        reference.reset()  # stops limits' expiry timer thread


def test_counts_from_threads_are_exact() -> None:
    config = RateLimitStep().configure("e", {"rate": "100000/hour", "rate_key": "ip"})
    assert config is not None
    storage = CounterStorage()

    def hammer() -> None:
        for _ in range(2000):
            _count_here(storage, config, "ip:1", START)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (usage,) = _count_here(storage, config, "ip:1", START)
    assert usage.used == 8001


def test_counts_in_windows_answer_limits_api_by_counter_name() -> None:
    # limits' API names a counter as the generic path does (_hit's name).
    config = RateLimitStep().configure("e", {"rate": "5/minute", "rate_key": "ip"})
    assert config is not None
    storage = CounterStorage()
    for _ in range(3):
        _count_here(storage, config, "ip:1", START)
    name = f"ajaxkit/e/5/minute/{int(START // 60)}/ip:1"
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


def test_old_windows_are_dropped_when_a_new_one_starts() -> None:
    storage = CounterStorage()
    storage.window("old/", -1)["k"] = 1  # already past its time
    storage.window("new/", 60)
    assert storage.get("old/k") == 0
    assert list(storage._windows) == ["new/"]
