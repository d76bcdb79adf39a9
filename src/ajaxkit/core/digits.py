"""Strict parsing of the decimal numbers strangers send in headers and queries.

``str.isdigit()`` is true for ``"²"`` (which ``int()`` then refuses) and for
``"٣"`` (which ``int()`` reads as 3), and ``int()`` of a few thousand
digits costs time and, past 4,300 digits, raises.  ``Content-Length``,
``limit`` and ``offset`` are parsed here instead: ASCII digits only, and
never more digits converted than the caller's maximum needs.
"""

from __future__ import annotations

__all__ = ["parse_natural"]


def parse_natural(text: str, maximum: int) -> int | None:
    """``text`` as a non-negative integer, or ``None`` when it is not ASCII digits.

    Args:
        text: the raw value (no sign, no spaces, no underscores).
        maximum: the largest value the caller accepts; any larger number
            comes back as ``maximum + 1`` without its digits being converted.
    """
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0")
    if len(significant) > len(str(maximum)):
        return maximum + 1
    return min(int(significant or "0"), maximum + 1)
