"""Validating write bodies with pydantic models derived from field metadata.

Three models per endpoint are built once, at registration: one for create,
one for full update (the same, but the primary key is never required: the
path names the record) and one for partial update
(everything optional, but an explicit ``null`` is still refused where the
field is not nullable).  Unknown and read-only members are reported before
pydantic runs, each with its own code, so a client learns that ``author`` is
read-only rather than that it is "extra".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from ajaxkit.core.fielderrors import field_error, field_errors
from ajaxkit.core.models.bounds import bounded_type
from ajaxkit.core.models.repository import FieldInfo
from ajaxkit.exceptions import ValidationFailed
from ajaxkit.types import MultiDict

__all__ = ["WriteSchema"]

UnknownFields = Literal["reject", "ignore"]


@dataclass(frozen=True)
class WriteSchema:
    """The writable fields of an endpoint and the pydantic models checking them.

    Attributes:
        writable: fields a client may set, by name.
        read_only: exposed fields a client may not set.
        unknown: ``"reject"`` (422) or ``"ignore"`` unknown and read-only
            members (for HTML form posts carrying extra inputs).
    """

    writable: Mapping[str, FieldInfo]
    read_only: frozenset[str]
    unknown: UnknownFields
    full: type[BaseModel]
    replace: type[BaseModel]
    partial: type[BaseModel]

    @classmethod
    def build(
        cls,
        name: str,
        writable: Iterable[FieldInfo],
        read_only: Iterable[str],
        unknown: UnknownFields,
        *,
        max_relation_values: int | None = None,
    ) -> WriteSchema:
        """The schema of ``writable``; a to-many relation takes at most
        ``max_relation_values`` pks (``None``: any number)."""
        fields = {f.name: f for f in writable}
        most = max_relation_values
        return cls(
            writable=fields,
            read_only=frozenset(read_only),
            unknown=unknown,
            full=_model(f"{name}Write", fields.values(), partial=False, most=most),
            replace=_model(
                f"{name}Put", [_optional_pk(f) for f in fields.values()], partial=False, most=most
            ),
            partial=_model(f"{name}Patch", fields.values(), partial=True, most=most),
        )

    def validate(self, data: Any, *, partial: bool, update: bool = False) -> dict[str, Any]:
        """The validated values present in ``data`` (a JSON object or form);
        ``update`` for PUT/PATCH, ``partial`` for PATCH."""
        raw = self._gather(data)
        model = self.partial if partial else self.replace if update else self.full
        try:
            validated = model.model_validate(raw)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc)) from exc
        return validated.model_dump(by_alias=True, exclude_unset=True)

    def _gather(self, data: Any) -> dict[str, Any]:
        if data is None:
            return {}
        if isinstance(data, MultiDict):
            return self._check_names({name: self._form_value(data, name) for name in data})
        if isinstance(data, dict):
            return self._check_names(data)
        raise ValidationFailed(
            [{"pointer": "#", "detail": "Expected a JSON object.", "code": "object_type"}]
        )

    def _form_value(self, data: MultiDict, name: str) -> Any:
        info = self.writable.get(name)
        if info is not None and info.kind == "many":
            return [v for v in data.getlist(name) if v != ""]
        value = data[name]
        # An empty form input means "no value" for anything but text.
        if value == "" and info is not None and info.nullable and info.python_type is not str:
            return None
        return value

    def _check_names(self, raw: dict[str, Any]) -> dict[str, Any]:
        errors = []
        for name in list(raw):
            if name in self.writable:
                if _has_nul(raw[name]):
                    errors.append(
                        field_error(name, "The value contains a NUL character.", "nul_character")
                    )
                continue
            if self.unknown == "ignore":
                del raw[name]
            elif name in self.read_only:
                errors.append(field_error(name, f"{name!r} is read-only.", "read_only"))
            else:
                errors.append(
                    field_error(name, f"{name!r} is not a field of this resource.", "unknown_field")
                )
        if errors:
            raise ValidationFailed(errors)
        return raw


def _has_nul(value: Any) -> bool:
    # No database stores NUL in text; PostgreSQL would fail the write with a
    # 500, inside a JSON document (jsonb) or an array too.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def _addressable(pk: str) -> str:
    """A text pk a record's URL can name: a framework decodes ``%2F``
    before routing (``tags/a/b`` is no route) and a browser drops ``.`` and
    ``..`` segments, so such a record, once created, could never be read,
    changed or deleted."""
    if "/" in pk or pk in (".", ".."):
        raise PydanticCustomError(
            "invalid_pk", "A primary key cannot contain '/' or be '.' or '..': no URL names it"
        )
    return pk


#: Largest magnitude of a number in a JSON document: PostgreSQL's jsonb
#: writes numbers back without an exponent (``1e300`` as 301 digits), read
#: back as integers, and JSON readers hold 64 bits at most.
_JSON_NUMBER_LIMIT = 2**63


def _json_numbers(value: Any) -> Any:
    """``value`` (a JSON document), if every number in it is within
    :data:`_JSON_NUMBER_LIMIT`: beyond, PostgreSQL answered integers that
    no JSON encoder writes, a 500 where SQLite kept the number."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif _number(item) and abs(item) >= _JSON_NUMBER_LIMIT:
            raise PydanticCustomError(
                "json_number_range", "Numbers in a JSON document must be between -2**63 and 2**63"
            )
    return value


def _number(item: Any) -> bool:
    return isinstance(item, int | float) and not isinstance(item, bool)


def _optional_pk(info: FieldInfo) -> FieldInfo:
    return dataclasses.replace(info, required=False) if info.primary_key else info


def _model(
    name: str, fields: Iterable[FieldInfo], *, partial: bool, most: int | None
) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for info in fields:
        required = info.required and not partial
        default = Field(alias=info.name) if required else Field(default=None, alias=info.name)
        # Internal names never clash with BaseModel's own attributes.
        definitions[f"f_{info.name}"] = (value_type(info, most_related=most), default)
    config = ConfigDict(populate_by_name=False, extra="forbid")
    return create_model(name, __config__=config, **definitions)


def value_type(info: FieldInfo, *, most_related: int | None = None) -> Any:
    """The pydantic type accepted for ``info`` in a write; a to-many
    relation's list holds at most ``most_related`` pks (``None``: any number).

    The bound is checked before any pk is looked up: each pk is a parameter
    of the query that checks them, and a database takes only so many
    (PostgreSQL: 65,535) before failing the whole statement.
    """
    base: Any = bounded_type(info)
    text_pk = info.primary_key and base is str
    if info.choices:
        base = Literal[tuple(info.choices)]
    elif base is str and info.max_length is not None:
        base = Annotated[str, StringConstraints(max_length=info.max_length)]
    elif info.python_type is Decimal and (info.max_digits or info.decimal_places is not None):
        # On the bounded type (PostgreSQL's own limits): a Decimal checked by
        # identity missed it, and 1.234 in a two-place column was rounded.
        base = Annotated[
            base, Field(max_digits=info.max_digits, decimal_places=info.decimal_places)
        ]
    if text_pk:
        base = Annotated[base, AfterValidator(_addressable)]
    if info.structured == "JSON":
        base = Annotated[base, AfterValidator(_json_numbers)]
    if info.kind == "many":
        base = (
            list[base]
            if most_related is None
            else Annotated[list[base], Field(max_length=most_related)]
        )
    if info.nullable:
        base = base | None
    return base
