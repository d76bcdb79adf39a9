"""Rates as a developer writes them: ``"10/minute"``, or a list of them.

``rate=`` (requests, :mod:`ajaxkit.core.ratelimit`) and ``message_rate=``
(WebSocket messages, :mod:`ajaxkit.core.message_rate`) read the same
spelling with the ``limits`` library, and refuse the same mistakes with the
same sentences, naming the option.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from limits import RateLimitItem, parse_many

__all__ = ["Rate", "read_rates"]


class Rate(NamedTuple):
    """One limit: ``amount`` per ``window`` seconds, named as the headers name it.

    A named tuple: compared and hashed in C, where a frozen dataclass would
    hash its fields in Python on a hot path.
    """

    name: str
    amount: int
    window: int

    @classmethod
    def from_item(cls, item: RateLimitItem) -> Rate:
        """The rate a ``limits`` item names (``"10/minute"``, ``"5/2second"``)."""
        unit = item.GRANULARITY.name
        per = unit if item.multiples == 1 else f"{item.multiples}{unit}"
        return cls(f"{item.amount}/{per}", item.amount, item.get_expiry())


def read_rates(option: str, rate: Any, example: str) -> tuple[Rate, ...]:
    """The rates ``rate`` names, given as the ``option`` keyword.

    Args:
        option: the keyword, for the messages (``"rate"``, ``"message_rate"``).
        rate: a string like ``"10/minute"`` or a list of them.
        example: a rate typical of the option, for the messages (``"10/minute"``).

    Raises:
        ValueError: why ``rate`` cannot be read, a sentence naming ``option``
            (the caller adds the endpoint or the setting).
    """
    given = [rate] if isinstance(rate, str) else rate
    if not isinstance(given, (list, tuple)) or not given:
        raise ValueError(
            f"{option} must be a string like {example!r} or a list of them, not {rate!r}"
        )
    found: list[Rate] = []
    for text in given:
        try:
            read = [Rate.from_item(item) for item in parse_many(text)]
        except (ValueError, TypeError):
            read = []
        # "0/second" parses, but would refuse everything from the first.
        if not read or any(limit.amount < 1 for limit in read):
            raise ValueError(
                f"cannot read the {option} {text!r}; write e.g. {example!r}, "
                "'5 per second' or '100/hour', at least 1"
            )
        found.extend(read)
    if len({limit.name for limit in found}) != len(found):
        raise ValueError(f"a {option} is given twice in {rate!r}")
    return tuple(found)
