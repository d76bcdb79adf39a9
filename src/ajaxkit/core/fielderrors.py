"""pydantic's validation errors → our :class:`~ajaxkit.exceptions.FieldError` list, in one place.

Handler parameters (:mod:`ajaxkit.core.binding`), model writes
(:mod:`ajaxkit.core.models.validation`) and list query parameters
(:mod:`ajaxkit.core.models.query`) all validate with pydantic; each hands the
:class:`~pydantic.ValidationError` here, so a bad value is located and
worded the same way whichever of them caught it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

from pydantic import ValidationError

from ajaxkit.core.collector import collector_held
from ajaxkit.exceptions import FieldError

__all__ = [
    "MAX_FIELD_ERRORS",
    "field_error",
    "field_errors",
    "json_pointer",
    "located",
    "too_many_errors",
]

#: The most errors one 422 lists (rule B6): a megabyte of bad values is
#: hundreds of thousands of errors, each a dict to build and encode.
MAX_FIELD_ERRORS = 100


def field_errors(
    exc: ValidationError,
    *,
    prefix: tuple[str, ...] = (),
    is_parameter: Callable[[str], bool] | None = None,
) -> list[FieldError]:
    """One :class:`FieldError` per error pydantic reported in ``exc``, the first
    :data:`MAX_FIELD_ERRORS` of them.

    Args:
        exc: what pydantic raised.
        prefix: the location of the validated value itself, prepended to
            pydantic's (``("age",)`` when a lone query value was validated).
        is_parameter: whether a top-level name is a query or path parameter
            (located by ``parameter``) rather than a body member (located by
            a JSON ``pointer``); by default everything is a body member.
    """
    with collector_held():  # pydantic builds a dict for every error, listed or not
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
    return [
        located(
            prefix + tuple(str(part) for part in error["loc"]),
            error["msg"],
            error["type"],
            is_parameter,
        )
        for error in islice(errors, MAX_FIELD_ERRORS)
    ]


def too_many_errors(exc: ValidationError) -> str | None:
    """The ``detail`` of a 422 listing only some of the errors in ``exc``, else ``None``."""
    count = exc.error_count()
    if count <= MAX_FIELD_ERRORS:
        return None
    return (
        f"The request parameters did not validate: {count} errors, "
        f"the first {MAX_FIELD_ERRORS} listed."
    )


def located(
    loc: tuple[str, ...],
    detail: str,
    code: str,
    is_parameter: Callable[[str], bool] | None = None,
) -> FieldError:
    """One :class:`FieldError` at ``loc``, by the rules of :func:`field_errors`
    (for a bad value found after validation, such as an out-of-range integer)."""
    if is_parameter is not None and is_parameter(loc[0] if loc else ""):
        return _parameter_error(loc, detail, code)
    return {"pointer": json_pointer(loc), "detail": detail, "code": code}


def field_error(name: str, detail: str, code: str) -> FieldError:
    """A body error pointing at member ``name``."""
    return {"pointer": json_pointer((name,)), "detail": detail, "code": code}


def json_pointer(path: Sequence[str]) -> str:
    """An RFC 6901 JSON Pointer as a URI fragment: ``("a", "b/c") -> "#/a/b~1c"``."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in path)
    return "#/" + "/".join(escaped) if path else "#"


def _parameter_error(loc: tuple[str, ...], msg: str, code: str) -> FieldError:
    # A parameter has no pointer syntax: the position inside a repeated
    # parameter (``?tag=a&tag=1``) goes into the detail instead.
    detail = f"{msg} (at item {'/'.join(loc[1:])})" if len(loc) > 1 else msg
    return {"parameter": loc[0] if loc else "", "detail": detail, "code": code}
