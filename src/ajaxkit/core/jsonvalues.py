"""What JSON text says that orjson's parsed value would silently change.

orjson reads an integer outside ``[-2**63, 2**64 - 1]`` as the nearest
float (``123456789012345678901234567890`` becomes ``1.2345678901234568e+29``)
and keeps the last of an object's repeated keys (``{"a": 1, "a": 2}`` is
``{"a": 2}``).  Either way a handler would see a value the client never
sent, so such a body is refused, pointing at the value (rules U13, U14):

* a wide integer is a 422 ``validation_failed`` with code
  ``int_out_of_range``, as the binder answers one sent in a query or form
  (rule U3): the encoder could not send it back, and a browser could not
  read it (``JSON.parse`` keeps 53 bits);
* a repeated key is a 400 ``malformed_json``: which value was meant is
  not in the text (RFC 8259 section 4 leaves it to the reader; I-JSON,
  RFC 7493, forbids it).

Both are asked of the text with byte operations before anything else, so
a body without them costs a few passes in C: an integer that wide needs
19 digits in a row, and an object repeats no key when the text holds no
more colons than the value holds keys.  Only a body that fails that is
read again, by the standard library's parser (which keeps exact integers
and every key), to find and name the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ajaxkit.core.fielderrors import json_pointer
from ajaxkit.exceptions import MalformedJSON, ValidationFailed

__all__ = ["INT_DETAIL", "INT_RANGE", "check_json_text"]

#: The integers every JSON reader and our encoder hold exactly: signed 64 bits.
INT_RANGE = (-(2**63), 2**63 - 1)
INT_DETAIL = f"Input should be an integer from {INT_RANGE[0]} to {INT_RANGE[1]}"

#: Digits read as ``0``, everything else as ``x``: a wide integer is a long run of ``0``.
_DIGITS_AS_ZEROS = bytes((48 if 48 <= b <= 57 else 120) for b in range(256))
#: The shortest integer orjson cannot hold: -9223372036854775809 (19 digits).
_WIDE_RUN = b"0" * 19
#: orjson's exact integers, the bounds of what it parses without rounding.
_ORJSON_INTS = (-(2**63), 2**64 - 1)


def check_json_text(raw: bytes, value: Any, what: str = "The JSON body") -> None:
    """Refuse ``value``, parsed from ``raw`` by orjson, if it is not what ``raw`` says.

    Raises:
        ValidationFailed: ``raw`` holds an integer orjson read as a float (422).
        MalformedJSON: an object in ``raw`` repeats a key (400).
    """
    if isinstance(value, (dict, list, float)) and _WIDE_RUN in raw.translate(_DIGITS_AS_ZEROS):
        _refuse(raw, what)


def _refuse(raw: bytes, what: str) -> None:
    """Find the wide integer or repeated key in ``raw`` and raise its error."""
    try:
        found = next(_altered(json.loads(raw, object_pairs_hook=_Members), ()), None)
    except (RecursionError, ValueError):
        # Nested past the standard parser, or an integer past its 4300
        # digits: the value stays unnamed.
        found = ("int", ())
    if found is None:
        return
    kind, path = found
    if kind == "int":
        raise ValidationFailed(
            [{"pointer": json_pointer(path), "detail": INT_DETAIL, "code": "int_out_of_range"}]
        )
    raise MalformedJSON(
        f"{what} repeats the key {path[-1]!r} in one object (at {json_pointer(path)}): "
        "each name may appear once, since only one of its values could be kept."
    )


class _Members(list[tuple[str, Any]]):
    """An object's members in the order sent, repeated keys included."""


def _altered(node: Any, path: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Where orjson would have changed ``node`` (read exactly): each wide
    integer (``"int"``) and repeated key (``"key"``), in document order."""
    stack = [(node, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Members):
            seen: set[str] = set()
            for key, _ in item:
                if key in seen:
                    yield "key", (*where, key)
                seen.add(key)
            children = [((*where, key), child) for key, child in item]
        elif isinstance(item, list):
            children = [((*where, str(i)), child) for i, child in enumerate(item)]
        else:
            if type(item) is int and not _ORJSON_INTS[0] <= item <= _ORJSON_INTS[1]:
                yield "int", where
            continue
        stack.extend((child, at) for at, child in reversed(children))
