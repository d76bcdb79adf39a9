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
