"""Blank text values: what an empty form field means to a typed parameter.

An HTML form (and jQuery's ``$(form).serialize()``, ``new FormData(form)``)
sends every field, an empty one as ``""``; a GET form puts the same pairs in
the query string.  For a parameter whose type has no empty value (``int``,
``date``, ``int | None``) that ``""`` can only mean "left empty", so it counts
as not given: the default applies, or a required parameter is a 422 saying
the field is empty.  Where ``""`` is a value (``str``, ``str | None``, an
unannotated parameter) it stays one: an empty text field is a value.  JSON
bodies are never touched: JSON can leave a member out or send ``null``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ajaxkit.core.fielderrors import json_pointer
from ajaxkit.exceptions import FieldError

__all__ = [
    "EMPTY_DETAIL",
    "blank_absent_fields",
    "drop_blanks",
    "list_fields",
    "say_empty",
    "takes_blank",
]

#: The detail of the 422 for a required parameter whose field was left empty.
EMPTY_DETAIL = "Field is empty; a value is required."


def takes_blank(annotation: Any, *, many: bool = False) -> bool:
    """Whether ``""`` is a value of ``annotation`` rather than an empty field.

    Asked of the type itself, constraints aside (``Field(min_length=1)`` on a
    ``str`` still reports a too-short value).  ``many`` asks it of the items
    of a repeated (``list[...]``) parameter.  A type pydantic cannot build a
    validator for is left as it is.
    """
    bare = _strip_annotated(annotation)
    try:
        TypeAdapter(bare).validate_python([""] if many else "")
    except ValidationError:
        return False
    except Exception:  # not a type pydantic validates: leave its input alone
        return True
    return True


def blank_absent_fields(model: type[BaseModel]) -> frozenset[str]:
    """The input names of ``model``'s fields for which a blank means absent."""
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if not takes_blank(field.annotation, many=_is_list(field.annotation))
    )


def list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The input names of ``model``'s list fields, which take every repeated value."""
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_list(field.annotation)
    )


def drop_blanks(
    raw: dict[str, Any], names: Iterable[str], many: frozenset[str] = frozenset()
) -> frozenset[str]:
    """Remove the blank values of ``names`` from ``raw``; the names removed.

    For a name in ``many`` (a list) the blank items go, and the name with
    them when nothing else is left.
    """
    blanked = set()
    for name in names:
        value = raw.get(name)
        if name in many and isinstance(value, list):
            kept = [item for item in value if item != ""]
            if kept:
                raw[name] = kept
                continue
        elif value != "":
            continue
        del raw[name]
        blanked.add(name)
    return frozenset(blanked)


def say_empty(errors: list[FieldError], blanked: frozenset[str]) -> list[FieldError]:
    """``errors`` with each "missing" of a blanked name saying the field is empty."""
    if not blanked:
        return errors
    where = blanked | {json_pointer((name,)) for name in blanked}
    return [
        {**error, "detail": EMPTY_DETAIL}
        if error.get("code") == "missing"
        and (error.get("parameter") in where or error.get("pointer") in where)
        else error
        for error in errors
    ]


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_list(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or type(annotation) is types.UnionType:  # list[int] | None
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin in (list, tuple, set, frozenset) or (
        isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset))
    )
