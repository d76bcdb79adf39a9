"""A limit on the messages one WebSocket client sends: ``message_rate=``.

``rate=`` counts handshakes (rule W6): once accepted, nothing else held a
client back, and each message runs the handler's loop once.
``@api.websocket("chat", message_rate="20/second")`` (or a list,
``["20/second", "300/minute"]``, read by the ``limits`` library as ``rate=``
is) counts the messages of each connection as the handler receives them;
the one over a limit ends the session with close code 4429 and the reason
``rate_limited`` (``4000 + 429``, as for any error the client caused, W4).

The count lives with the session, so it needs no storage and is never
shared: windows are fixed and aligned to the injected clock's monotonic
time (``Settings.clock``), so tests move time instead of sleeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ajaxkit.core.rates import Rate, read_rates
from ajaxkit.exceptions import RegistrationError

if TYPE_CHECKING:
    from ajaxkit.core.clock import Clock

__all__ = ["MessageMeter", "parse_message_rate", "read_message_rate"]


def read_message_rate(rate: Any) -> tuple[Rate, ...]:
    """The limits ``rate`` names: a string like ``"20/second"`` or a list of them.

    Raises:
        ValueError: why ``rate`` cannot be read (a sentence without the endpoint).
    """
    return read_rates("message_rate", rate, "20/second")


def parse_message_rate(endpoint: str, rate: Any) -> tuple[Rate, ...]:
    """:func:`read_message_rate` at registration (``None``: no limit, ``()``).

    Raises:
        RegistrationError: naming ``endpoint`` and what cannot be read.
    """
    if rate is None:
        return ()
    try:
        return read_message_rate(rate)
    except ValueError as exc:
        raise RegistrationError(f"Endpoint {endpoint!r}: {exc}.") from None


class MessageMeter:
    """One connection's count of messages in each limit's current window."""

    __slots__ = ("_clock", "_counts", "_limits", "_windows")

    def __init__(self, limits: tuple[Rate, ...], clock: Clock) -> None:
        self._limits = limits
        self._clock = clock
        self._windows = [-1] * len(limits)
        self._counts = [0] * len(limits)

    def over(self) -> bool:
        """Count one message; whether it is over a limit."""
        now = self._clock.monotonic()
        exceeded = False
        for index, limit in enumerate(self._limits):
            window = int(now // limit.window)
            if window != self._windows[index]:
                self._windows[index], self._counts[index] = window, 0
            self._counts[index] += 1
            exceeded = exceeded or self._counts[index] > limit.amount
        return exceeded
