"""Reading the shape of valid JSON text with byte operations, never a step per value.

The input limits ask how deep a document nests and whether it holds a long
string.  Walking the parsed values answers in Python, one step per value;
these answer on the text with ``bytes`` methods and ``re``, which run in C,
so that a megabyte of tiny values costs milliseconds.  The text must be
valid JSON (it has been parsed): outside strings it holds no quote and no
backslash, and inside one a quote is always escaped.
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate, compress, count

import orjson

__all__ = ["nests_deeper", "string_longer"]

#: Every byte but the brackets deleted; ``{`` and ``}`` read as ``[`` and ``]``.
_BRACKETS_ONLY = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - {ord("["), ord("]"), ord("{"), ord("}")})
_RUNS = re.compile(rb"\[+|\]+")


def nests_deeper(text: bytes, limit: int) -> bool:
    """Whether the arrays and objects of JSON ``text`` nest deeper than ``limit``."""
    brackets = _outside_strings(text).translate(_BRACKETS_ONLY, _NOT_BRACKETS)
    peeled = 0
    while brackets and peeled < limit:
        # Deleting every "[]" takes one level off every branch at once: each
        # leaf container goes, and a container whose children all went
        # becomes a leaf.  A pass costs the length left, so when few leaves
        # went (long chains, "[[[[...]]]]"), the rest is measured by runs.
        shorter = brackets.replace(b"[]", b"")
        peeled += 1
        leaves = (len(brackets) - len(shorter)) // 2
        brackets = shorter
        if brackets and leaves * 16 < len(brackets):
            return peeled + _nesting(brackets) > limit
    return bool(brackets)


def _nesting(brackets: bytes) -> int:
    """How deep balanced ``brackets`` nest, from the lengths of their runs."""
    runs = list(map(len, _RUNS.findall(brackets)))
    runs[1::2] = map(operator.neg, runs[1::2])  # runs alternate, opening first
    return max(accumulate(runs))


def _outside_strings(text: bytes) -> bytes:
    """``text`` without its strings (each leaves its two quotes)."""
    if b'"' not in text:
        return text
    return b'""'.join(_split_on_quotes(text)[0::2])


def _split_on_quotes(text: bytes) -> list[bytes]:
    """``text`` split on the quotes around strings: strings' insides at odd indices.

    Escapes are masked first, each by as many bytes, so an escaped quote
    splits nothing and every part keeps its place in ``text``.  A run of
    backslashes pairs from its start, as the parser reads it.
    """
    if b"\\" in text:
        text = text.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    return text.split(b'"')


def string_longer(text: bytes, limit: int) -> bool:
    """Whether JSON ``text`` holds a string (key or value) longer than ``limit`` characters."""
    if b'"' not in text:
        return False
    parts = _split_on_quotes(text)
    insides = parts[1::2]
    if max(map(len, insides)) <= limit:
        return False  # a character is at least a byte
    # A few strings are longer in bytes: count their characters.
    ends = list(map(operator.add, accumulate(map(len, parts)), count()))
    long_ones = compress(range(1, len(parts), 2), map(limit.__lt__, map(len, insides)))
    return any(_characters(text, ends[i] - len(parts[i]), ends[i]) > limit for i in long_ones)


def _characters(text: bytes, start: int, end: int) -> int:
    """The length of the string whose inside is ``text[start:end]``."""
    return len(orjson.loads(text[start - 1 : end + 1]))
