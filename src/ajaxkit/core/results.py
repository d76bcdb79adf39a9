"""A handler's return annotation, when it declares fields, shapes what is sent (rule S8).

FastAPI reads ``-> UserOut`` as the response model: the result is validated
against it and only its fields are sent, so returning a stored user (a
dict, an ORM row, a subclass instance) never sends its password hash.
Handlers written with that habit would leak here without the same rule.
Only annotations that declare fields (pydantic models, ``TypedDict``\\ s,
dataclasses, and containers of them) shape the result: ``-> dict[str, Any]``
or ``-> list[dict]`` have nothing to leave out, so they cost nothing.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from typing_extensions import is_typeddict

from ajaxkit.exceptions import EncodingError, RegistrationError

__all__ = ["ResultShape", "result_shape", "status_tuple_body"]


class ResultShape:
    """Validates and serializes results by the annotation ``hint``."""

    __slots__ = ("adapter", "hint")

    def __init__(self, hint: Any) -> None:
        self.hint = hint
        self.adapter: TypeAdapter[Any] = TypeAdapter(hint)

    def apply(self, value: Any, endpoint: str) -> Any:
        """``value`` as the annotation declares it, JSON-ready (as models are encoded).

        Raises:
            EncodingError: the value does not fit the annotation (a 500 whose
                log names the endpoint, the annotation and pydantic's errors).
        """
        try:
            valid = self.adapter.validate_python(value, from_attributes=True)
        except ValidationError as exc:
            raise EncodingError(
                f"Endpoint {endpoint} returned a value that does not match its return "
                f"annotation {_name(self.hint)}: {exc}"
            ) from exc
        return self.adapter.dump_python(valid, mode="json", by_alias=True)


def result_shape(func: Callable[..., Any], endpoint: str) -> ResultShape | None:
    """The shape ``func``'s return annotation gives its results, or ``None``.

    In a ``tuple[Body, int]`` annotation (a ``(body, status)`` result) the
    body is shaped.

    Raises:
        RegistrationError: the annotation declares fields but pydantic cannot
            validate it; ignoring it would send what the author meant to hide.
    """
    hint = _body_of(typing.get_type_hints(func, include_extras=True).get("return"))
    if hint is None or not _declares_fields(hint):
        return None
    try:
        return ResultShape(hint)
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        reason = str(exc).splitlines()[0]
        raise RegistrationError(
            f"Endpoint {endpoint}: its return annotation {_name(hint)} declares the "
            f"fields to send, but pydantic cannot validate it ({reason}). Annotate "
            "with types pydantic validates (a BaseModel, a dataclass, a TypedDict "
            "from typing_extensions), or -> Any to send the result as it is."
        ) from exc


def _body_of(hint: Any) -> Any:
    body = status_tuple_body(hint)
    return hint if body is None else body


def status_tuple_body(hint: Any) -> Any:
    """``Body`` of a ``tuple[Body, int]`` or ``tuple[Body, int, headers]`` hint, else ``None``.

    Such a tuple annotates a ``(body, status[, headers])`` result: it is
    never sent as an array (the OpenAPI document reads it the same way).
    """
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) in (2, 3) and args[1] is int:
            return args[0]
    return None


def _declares_fields(hint: Any) -> bool:
    if isinstance(hint, type) and (
        issubclass(hint, BaseModel) or dataclasses.is_dataclass(hint) or is_typeddict(hint)
    ):
        return True
    return any(_declares_fields(arg) for arg in typing.get_args(hint))


def _name(hint: Any) -> str:
    return hint.__qualname__ if isinstance(hint, type) else repr(hint)
