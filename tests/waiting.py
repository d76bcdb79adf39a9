"""Waiting in a test for what another thread brings about, failing loudly when it does not.

A wait that gives up quietly and lets the test go on turns "it never
happened" into whatever the next assertion says: "no events" when the
subscriber was never seen, far from the cause.  :func:`wait_until` raises
instead, naming what was awaited and for how long; :class:`Background`
runs a step on a thread of its own and re-raises its failure where the test
joins it (an exception in a plain thread is only printed, and the test then
fails, if at all, on what the step would have done).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Background", "WaitTimedOut", "wait_until"]


class WaitTimedOut(AssertionError):
    """What a test waited for did not come in time."""


def wait_until(
    condition: Callable[[], bool], what: str, *, timeout: float, interval: float = 0.01
) -> None:
    """Return once ``condition()`` is true; else raise after ``timeout`` seconds.

    Args:
        what: what is awaited, as the failure says it ("the stream to listen").

    Raises:
        WaitTimedOut: naming ``what`` and the seconds waited.
    """
    began = time.monotonic()
    while not condition():
        waited = time.monotonic() - began
        if waited >= timeout:
            raise WaitTimedOut(f"Waited {waited:.1f} s for {what}, in vain.")
        time.sleep(interval)


class Background:
    """``step()`` on a thread of its own, after ``delay`` seconds.

    :meth:`join` waits for it and raises what it raised, so a failing
    publisher fails the test with its own error.
    """

    def __init__(self, step: Callable[[], object], what: str, *, delay: float = 0.0) -> None:
        self._step = step
        self._what = what
        self._delay = delay
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=what, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._delay:
                time.sleep(self._delay)
            self._step()
        except BaseException as exc:  # re-raised by join(), in the test's thread
            self._error = exc

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the step to end; raise its error, or :class:`WaitTimedOut`."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise WaitTimedOut(f"Waited {timeout:g} s for {self._what} to finish, in vain.")
        if self._error is not None:
            raise self._error
