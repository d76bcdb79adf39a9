"""Integers in JSON text that orjson's parsed value would silently change.

orjson reads an integer outside ``[-2**63, 2**64 - 1]`` as the nearest
float (``123456789012345678901234567890`` becomes ``1.2345678901234568e+29``),
so a handler would see a number the client never sent.  Such a body is
refused, pointing at the value (rule U13): a 422 ``validation_failed`` with
code ``int_out_of_range``, as the binder answers one sent in a query or form
(rule U3).  The encoder could not send it back, and a browser could not read
it (``JSON.parse`` keeps 53 bits).

Every JSON body pays for the question, so it is asked of the text with byte
operations, cheapest first.  Such an integer is a run of at least 19 digits
(the shortest is ``-9223372036854775809``), and any run that long covers one
byte in every 19: when none of the bytes 18, 37, 56, ... is a digit, there
is none (a body shorter than 19 bytes has no such byte).  That costs one
slice and one translate of a nineteenth of the text, where most bodies end.
Otherwise the whole text is searched for 19 digits in a row, and only a text
that has them (a long number, or digits in a string) is read again, by the
standard library's parser, which keeps integers exact, to find the value.
"""

from __future__ import annotations

import json
from typing import Any

from ajaxkit.core.fielderrors import json_pointer
from ajaxkit.exceptions import ValidationFailed

__all__ = ["INT_DETAIL", "INT_RANGE", "check_json_text"]

#: The integers every JSON reader and our encoder hold exactly: signed 64 bits.
INT_RANGE = (-(2**63), 2**63 - 1)
INT_DETAIL = f"Input should be an integer from {INT_RANGE[0]} to {INT_RANGE[1]}"

#: The shortest run of digits orjson may read as a float: -9223372036854775809.
_RUN = 19
#: One byte in every ``_RUN``: a run that long covers one of them.
_SAMPLED = slice(_RUN - 1, None, _RUN)
#: Digits read as ``0``, everything else as ``x``: a wide integer is a long run of ``0``.
_DIGITS_AS_ZEROS = bytes((48 if 48 <= b <= 57 else 120) for b in range(256))
_ZERO = ord("0")
_WIDE_RUN = b"0" * _RUN
#: orjson's exact integers, the bounds of what it parses without rounding.
_ORJSON_INTS = (-(2**63), 2**64 - 1)


def check_json_text(raw: bytes, value: Any) -> None:
    """Refuse ``value``, parsed from ``raw`` by orjson, if it holds an integer read as a float.

    Raises:
        ValidationFailed: ``raw`` holds an integer orjson read as a float (422).
    """
    if _ZERO not in raw[_SAMPLED].translate(_DIGITS_AS_ZEROS):
        return
    if isinstance(value, (dict, list, float)) and (
        raw.translate(_DIGITS_AS_ZEROS).find(_WIDE_RUN) >= 0
    ):
        _refuse(raw)


def _refuse(raw: bytes) -> None:
    """Find the first wide integer in ``raw``, if any, and raise its error."""
    try:
        path = _first_wide_integer(json.loads(raw))
    except (RecursionError, ValueError):
        # Nested past the standard parser, or an integer past its 4300
        # digits: the value stays unnamed.
        path = ()
    if path is not None:
        raise ValidationFailed(
            [{"pointer": json_pointer(path), "detail": INT_DETAIL, "code": "int_out_of_range"}]
        )


def _first_wide_integer(node: Any) -> tuple[str, ...] | None:
    """The path to the first integer in ``node`` (read exactly) that orjson would round."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(node, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            children = [(child, (*where, key)) for key, child in item.items()]
        elif isinstance(item, list):
            children = [(child, (*where, str(i))) for i, child in enumerate(item)]
        else:
            if type(item) is int and not _ORJSON_INTS[0] <= item <= _ORJSON_INTS[1]:
                return where
            continue
        stack.extend(reversed(children))
    return None
