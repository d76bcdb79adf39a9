"""Bulk allocation with the cyclic garbage collector held off.

Parsing a megabyte of ``[[],[],...]`` makes 350,000 lists; every 700 new
containers start a collection, and the older generations' collections
traverse the whole heap again and again.  That took about 80 ms of CPU per
MiB, four times the parse itself (and three quarters of turning 350,000
pydantic errors into dicts), on a heap no bigger than a test's.  None of
what a parse makes can be garbage while it is being made, so collecting
then is wasted work: the collector is held off for large parses and
resumes after, its counts unchanged, so it runs on the next allocations.

The collector's switch is one per process: holders are counted, so
concurrent parses (threads) resume it only when the last one ends, and
only if it was on when the first one began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_held"]


class _Holders:
    """Who holds the collector off now, and whether to resume it after them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.resume = False


_HOLDERS = _Holders()


@contextmanager
def collector_held() -> Iterator[None]:
    """Hold the cyclic garbage collector off inside the ``with`` block."""
    holders = _HOLDERS
    with holders.lock:
        if holders.count == 0:
            holders.resume = gc.isenabled()
            gc.disable()
        holders.count += 1
    try:
        yield
    finally:
        with holders.lock:
            holders.count -= 1
            if holders.count == 0 and holders.resume:
                gc.enable()
