"""Injectable time, so rate limits, timeouts and expiry are testable without sleeping."""

from __future__ import annotations

import time as _time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """A source of time in seconds."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    """The real clock."""

    # The functions themselves, not methods calling them: a rate-limited
    # request asks for the time, and the method's frame cost more than
    # reading the clock (~800 instructions).
    time = staticmethod(_time.time)
    monotonic = staticmethod(_time.monotonic)


class ManualClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``."""
        self._now += seconds
        self._mono += seconds
