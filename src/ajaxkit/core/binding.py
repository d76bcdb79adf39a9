"""Binding handler parameters from the request by name and type hint.

Everything that can be worked out from a handler's signature is worked out
once, at registration (:func:`analyse`); per request, :meth:`Binder.bind`
only gathers the raw values and runs one pydantic validation.

Where values come from:

* path parameters captured by the endpoint's route, always;
* the query string for GET, HEAD, DELETE and OPTIONS;
* the parsed body (JSON object or form) for POST, PUT and PATCH;
* a single parameter annotated with a pydantic model (besides path
  parameters) takes the whole query or body instead, and a single list
  parameter a JSON array body.

A ``Field(...)`` default (FastAPI's ``Query(...)`` is one) is read as
pydantic reads it in a model: its constraints validate the value and its
``default`` or ``default_factory`` fills it when absent.

Integers are accepted only within the signed 64-bit range, and floats only
when finite (422 otherwise): pydantic reads any number of digits and
``"inf"``, but no database column and no JSON encoder ajaxkit uses can hold
more digits, and JSON cannot write infinity, so a handler echoing such a
value failed with a 500 the client caused (or sent ``null``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from typing_extensions import NotRequired, TypedDict

from ajaxkit.core.blanks import (
    blank_absent_fields,
    drop_blanks,
    list_fields,
    say_empty,
    takes_blank,
)
from ajaxkit.core.body import BODY_METHODS
from ajaxkit.core.fielderrors import field_errors, located, too_many_errors
from ajaxkit.core.jsonvalues import INT_DETAIL, INT_RANGE
from ajaxkit.core.platform import declared_platforms
from ajaxkit.exceptions import FieldError, ValidationFailed
from ajaxkit.types import AjaxRequest, MultiDict, UploadedFile

__all__ = [
    "INT_RANGE",
    "Binder",
    "HandlerShape",
    "UnknownFields",
    "Unwritable",
    "analyse",
    "handler_signature",
    "unwritable",
]

#: What binding does with an input name that is no parameter: ``"ignore"`` it
#: (the default: forms and query strings carry extras such as a CSRF token or
#: jQuery's ``_`` cache buster) or ``"reject"`` it with a 422 ``unknown_field``.
UnknownFields = Literal["ignore", "reject"]

_SEQUENCE_ORIGINS = (list, tuple, set, frozenset, Sequence, typing.Sequence)
_IMMUTABLE = (str, bytes, int, float, bool, type(None), tuple, frozenset)
_FLOAT_DETAIL = "Input should be a finite number"


@dataclass(frozen=True)
class HandlerShape:
    """What registration learned about a handler's signature.

    Attributes:
        takes_request: the first parameter is the request (see :func:`analyse`).
        binder: validates the other parameters; ``None`` when there are none.
        native_request: that parameter is annotated with the framework's own
            request class, so it receives ``request.native``.
    """

    takes_request: bool
    binder: Binder | None
    native_request: bool = False


def analyse(
    func: Callable[..., Any],
    path_names: frozenset[str],
    unknown_fields: UnknownFields = "ignore",
    *,
    first_is_request: bool = False,
) -> HandlerShape:
    """Inspect ``func`` once: does it take the request, which parameters bind.

    The request is the first parameter when it is named ``request`` or
    annotated with :class:`~ajaxkit.AjaxRequest` (it receives the
    ``AjaxRequest``) or with a request class a declared integration lists in
    ``Platform.request_types`` (it receives the framework's own request).
    ``first_is_request`` makes the first parameter the request whatever its
    name (a WebSocket handler's socket).
    """
    signature = handler_signature(func)
    hints = typing.get_type_hints(func, include_extras=True)
    params = [
        p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    native = bool(params) and not first_is_request and _is_native_request(hints.get(params[0].name))
    takes_request = bool(params) and (
        first_is_request or native or _is_request_param(params[0], hints)
    )
    bound = params[1:] if takes_request else params
    binder = Binder(func, bound, hints, path_names, unknown_fields) if bound else None
    if binder is None and unknown_fields == "reject":
        binder = Binder(func, (), hints, path_names, unknown_fields)
    return HandlerShape(takes_request, binder, native)


def handler_signature(func: Callable[..., Any]) -> inspect.Signature:
    """The parameters ``func`` is called with.

    A ``functools.partial`` made by ``functools.wraps`` (Django's
    ``method_decorator`` hands decorators the method bound this way) has
    ``__wrapped__`` pointing at the unbound function: following it, as
    ``inspect.signature`` does by default, would count ``self``.
    """
    return inspect.signature(func, follow_wrapped=not isinstance(func, functools.partial))


def _is_request_param(param: inspect.Parameter, hints: Mapping[str, Any]) -> bool:
    annotation = hints.get(param.name)
    return param.name == "request" or annotation is AjaxRequest


def _is_native_request(annotation: Any) -> bool:
    if not isinstance(annotation, type):
        return False
    types = tuple(t for p in declared_platforms() for t in p.request_types)
    return bool(types) and issubclass(annotation, types)


class _ArrayBody(NamedTuple):
    """How a JSON array body binds: whole, to the lone list parameter ``name``."""

    name: str
    adapter: TypeAdapter[Any]
    #: The handler's other parameters, all from the path.
    path_adapter: TypeAdapter[Any]


class Binder:
    """Validates the parameters of one handler."""

    def __init__(
        self,
        func: Callable[..., Any],
        params: Sequence[inspect.Parameter],
        hints: Mapping[str, Any],
        path_names: frozenset[str],
        unknown_fields: UnknownFields = "ignore",
    ) -> None:
        self.path_names = path_names
        self.reject_unknown = unknown_fields == "reject"
        annotations = {p.name: hints.get(p.name, Any) for p in params}
        self.defaults = {p.name: p.default for p in params if p.default is not p.empty}
        self.factories: dict[str, Callable[[], Any]] = {}
        for name, default in list(self.defaults.items()):
            if isinstance(default, FieldInfo):
                annotations[name] = Annotated[annotations[name], default]
                self._field_default(name, default)
        self.list_names = frozenset(n for n, a in annotations.items() if _is_sequence(a))
        self.bracketed = _bracketed(self.list_names)
        self.file_names = frozenset(n for n, a in annotations.items() if _is_file(a))
        lone = _lone_param(annotations, path_names)
        self.whole_input = lone if lone is not None and _is_model(annotations[lone]) else None
        #: A lone list parameter, which a JSON array body fills whole (rule B5).
        self.whole_array = lone if lone in self.list_names and lone not in self.file_names else None
        models = {
            name: _MEMBER_DETAIL
            for name, annotation in annotations.items()
            if self.whole_input is None and name not in path_names and _is_model(annotation)
        }
        if lone is not None and _is_mapping(annotations[lone]):
            # FastAPI gives a lone `data: dict` the whole body; here it is a member.
            models[lone] = _MAPPING_DETAIL
        #: What a missing body member says, by parameter: it is a member of the body.
        self.member_details: Mapping[str, str] = models
        self.known = frozenset(annotations)
        optional = self.defaults.keys() | self.factories.keys()
        fields = {
            name: annotation if name not in optional else NotRequired[annotation]
            for name, annotation in annotations.items()
        }
        self.blank_absent = frozenset(
            name
            for name, annotation in annotations.items()
            if name not in path_names | self.file_names
            and not takes_blank(annotation, many=name in self.list_names)
        )
        self.whole_blank_absent: frozenset[str] = frozenset()
        self.whole_lists: frozenset[str] = frozenset()
        if self.whole_input is not None:
            model = annotations[self.whole_input]
            self.whole_adapter: TypeAdapter[Any] | None = TypeAdapter(model)
            self.whole_blank_absent = blank_absent_fields(_strip_annotated(model))
            self.whole_lists = list_fields(_strip_annotated(model))
            fields.pop(self.whole_input)
        else:
            self.whole_adapter = None
        self.whole_bracketed = _bracketed(self.whole_lists)
        # A TypedDict validates straight into a dict: no model instance per
        # request and no clash between parameter names and BaseModel members.
        shape: Any = TypedDict(f"{func.__qualname__}_params", fields)  # type: ignore[misc]
        self.adapter: TypeAdapter[Any] = TypeAdapter(shape)
        self.array_body: _ArrayBody | None = None
        if self.whole_array is not None:
            # What is left to bind beside the array: the path parameters.
            del fields[self.whole_array]
            rest: Any = TypedDict(f"{func.__qualname__}_path", fields)  # type: ignore[misc]
            array = TypeAdapter(annotations[self.whole_array])
            self.array_body = _ArrayBody(self.whole_array, array, TypeAdapter(rest))

    def bind(self, request: AjaxRequest) -> dict[str, Any]:
        """The validated keyword arguments, or :class:`ValidationFailed`."""
        from_body = request.method in BODY_METHODS
        source = request.data if from_body else request.query
        if isinstance(source, list) and self.array_body is not None and from_body:
            return self._bind_array(source, request, self.array_body)
        raw = self._gather(source, request) if self.whole_input is None else {}
        if self.reject_unknown and self.whole_input is None:
            self._refuse_unknown(raw, from_body)
        blanked = self._drop_blanks(source, raw, self.blank_absent, self.list_names)
        raw.update(request.path_params)
        values: dict[str, Any] = self._validate(self.adapter, raw, from_body, blanked)
        if self.whole_adapter is not None and self.whole_input is not None:
            whole = self._whole_source(source)
            blanked = self._drop_blanks(source, whole, self.whole_blank_absent, self.whole_lists)
            values[self.whole_input] = self._validate(self.whole_adapter, whole, from_body, blanked)
        for name, default in self.defaults.items():
            if name not in values:
                values[name] = (
                    default if isinstance(default, _IMMUTABLE) else copy.deepcopy(default)
                )
        for name, factory in self.factories.items():
            if name not in values:
                values[name] = factory()
        return values

    def _bind_array(
        self, array: list[Any], request: AjaxRequest, body: _ArrayBody
    ) -> dict[str, Any]:
        """A JSON array body, the whole value of the lone list parameter.

        Validated on its own, so an error points into the array the client
        sent (``#/1/title``), not into a member it never named.
        """
        values: dict[str, Any] = self._validate(body.path_adapter, dict(request.path_params), True)
        values[body.name] = self._validate(body.adapter, array, True)
        return values

    def _field_default(self, name: str, field: FieldInfo) -> None:
        """Take the default out of a ``Field(...)`` default: it is the constraints.

        ``limit: int = Field(10, le=50)`` (or FastAPI's ``Query(10, le=50)``)
        validates as ``Annotated[int, Field(le=50)]`` with the default 10;
        without a default or factory the parameter is required.
        """
        del self.defaults[name]
        if field.default_factory is not None:
            self.factories[name] = cast("Callable[[], Any]", field.default_factory)
        elif field.default is not PydanticUndefined:
            self.defaults[name] = field.default

    def _gather(self, source: Any, request: AjaxRequest) -> dict[str, Any]:
        if source is None:
            raw: dict[str, Any] = {}
        elif isinstance(source, MultiDict):
            if source.repeated:
                self._refuse_repeated(source.repeated, request)
            raw = {
                name: source.getlist(name) if name in self.list_names else source[name]
                for name in source
            }
            self._gather_bracketed(source, raw)
        elif isinstance(source, dict):
            raw = dict(source)
        else:
            raise ValidationFailed(
                [{"pointer": "#", "detail": "Expected a JSON object.", "code": "object_type"}]
            )
        for name in self.file_names:
            if name in request.files:
                uploads = request.files[name]
                if len(uploads) > 1:
                    self._refuse_repeated([name], request)
                raw[name] = uploads if name in self.list_names else uploads[-1]
        self._gather_bracketed(request.files, raw)
        return raw

    def _gather_bracketed(
        self,
        source: Mapping[str, Any],
        raw: dict[str, Any],
        bracketed_names: Mapping[str, str] | None = None,
    ) -> None:
        """Add the values sent as ``name[]`` to the list parameter (or field)
        ``name``: in a query or form, in the order sent, both names mixed."""
        names = self.bracketed if bracketed_names is None else bracketed_names
        for bracketed, name in names.items():
            if bracketed in source:
                raw.pop(bracketed, None)
                if isinstance(source, MultiDict):
                    raw[name] = source.getlist_any((name, bracketed))
                else:  # uploads: request.files keeps no order across names
                    raw[name] = [*raw.get(name, ()), *source[bracketed]]

    def _refuse_repeated(self, names: Sequence[str], request: AjaxRequest) -> None:
        """A 422 for each scalar parameter among ``names``, sent more than once (rule U14).

        Binding the last value would drop the others unsaid; a ``list[...]``
        parameter takes them all, and other names are not ours to judge.
        """
        scalars = [n for n in names if n in self.known and n not in self.list_names]
        if not scalars:
            return
        is_parameter = self._is_parameter(request.method in BODY_METHODS)
        errors = [
            located(
                (name,),
                _REPEATED_DETAIL.format(name=name, n=self._count(name, request)),
                "multiple_values",
                is_parameter,
            )
            for name in scalars
        ]
        raise ValidationFailed(errors)

    @staticmethod
    def _count(name: str, request: AjaxRequest) -> int:
        source = request.data if request.method in BODY_METHODS else request.query
        found = len(source.getlist(name)) if isinstance(source, MultiDict) else 0
        return found or len(request.files.get(name, ()))

    def _refuse_unknown(self, raw: Mapping[str, Any], from_body: bool) -> None:
        # ``_``-prefixed query names are cache busters (jQuery's ``_=<time>``),
        # as model endpoints also allow.
        unknown = [
            name
            for name in raw
            if name not in self.known and (from_body or not name.startswith("_"))
        ]
        if unknown:
            raise ValidationFailed([self._unknown(name, from_body) for name in unknown])

    def _unknown(self, name: str, from_body: bool) -> FieldError:
        detail = f"{name!r} is not a parameter of this endpoint."
        return located((name,), detail, "unknown_field", self._is_parameter(from_body))

    def _whole_source(self, source: Any) -> Any:
        if isinstance(source, MultiDict):
            lists = self.whole_lists
            whole = {k: source.getlist(k) if k in lists else source[k] for k in source}
            self._gather_bracketed(source, whole, self.whole_bracketed)
            return whole
        return {} if source is None else source

    @staticmethod
    def _drop_blanks(
        source: Any,
        raw: Any,
        names: frozenset[str],
        many: frozenset[str] = frozenset(),
    ) -> frozenset[str]:
        """Blank text values of ``names`` removed from ``raw`` (docs: rule B13).

        Only a query string or form (a :class:`MultiDict`) has them: a JSON
        ``""`` is a value its sender chose.
        """
        if not isinstance(source, MultiDict) or not isinstance(raw, dict):
            return frozenset()
        return drop_blanks(raw, names, many)

    def _validate(
        self,
        adapter: TypeAdapter[Any],
        raw: Any,
        from_body: bool,
        blanked: frozenset[str] = frozenset(),
    ) -> Any:
        is_parameter = self._is_parameter(from_body)
        try:
            value = adapter.validate_python(raw)
        except ValidationError as exc:
            errors = field_errors(exc, is_parameter=is_parameter)
            errors = _say_member(say_empty(errors, blanked), self.member_details)
            raise ValidationFailed(errors, too_many_errors(exc)) from exc
        bad = unwritable(value)
        if bad is not None:
            raise ValidationFailed([located(bad.loc, bad.detail, bad.code, is_parameter)])
        return value

    def _is_parameter(self, from_body: bool) -> Callable[[str], bool]:
        """Which names are parameters (not body members) in this request."""
        path_names = self.path_names
        return lambda name: not from_body or name in path_names


class Unwritable(NamedTuple):
    """A bound value JSON cannot carry faithfully: where it is, and why."""

    loc: tuple[str, ...]
    detail: str
    code: str


def unwritable(value: Any) -> Unwritable | None:
    """The first integer outside :data:`INT_RANGE` or non-finite float in ``value``.

    Walks what validation builds (dicts, sequences, sets, pydantic models);
    other objects are the handler's own types and are left alone.  ``inf``
    and ``nan`` are refused too: pydantic reads them from text, and JSON
    has no way to write them (orjson sends ``null``).  The walk keeps its
    own stack: a JSON body may nest deeper than Python's recursion limit.
    It runs on every bound request, so strings cost one type check.
    """
    found = _unwritable_scalar((), value)
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack and found is None:
        loc, item = stack.pop()
        for key, child in _children(item):
            if type(child) is str:
                continue
            found = _unwritable_scalar((*loc, str(key)), child)
            if found is not None:
                break
            if isinstance(child, _CONTAINERS):
                stack.append(((*loc, str(key)), child))
    return found


_CONTAINERS = (dict, list, tuple, set, frozenset, BaseModel)


def _unwritable_scalar(loc: tuple[str, ...], value: Any) -> Unwritable | None:
    if isinstance(value, int) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        return Unwritable(loc, INT_DETAIL, "int_out_of_range")
    if isinstance(value, float) and not math.isfinite(value):
        return Unwritable(loc, _FLOAT_DETAIL, "finite_number")
    return None


def _children(value: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, (list, tuple, set, frozenset)):
        return enumerate(value)
    if isinstance(value, BaseModel):
        return value.__dict__.items()
    return ()


_REPEATED_DETAIL = (
    "Input should be one value; {name!r} was sent {n} times "
    "(a list[...] parameter takes every value)"
)


def _say_member(errors: list[FieldError], member_details: Mapping[str, str]) -> list[FieldError]:
    """Each model (or lone dict) parameter missing from a body says it is a member of it.

    FastAPI users send the model's fields at the top of the body, as
    FastAPI reads a model beside scalar parameters (which it takes from the
    query string), and a lone ``dict`` parameter as the whole body; here
    the body holds every parameter by name.
    """
    if not member_details:
        return errors
    return [
        {**error, "detail": member_details[name].format(name=name)}
        if error.get("code") == "missing"
        and (name := _located_name(error)) is not None
        and name in member_details
        else error
        for error in errors
    ]


_MEMBER_DETAIL = (
    'Field required: this model is the member "{name}" of the body, sent as '
    '{{"{name}": {{...}}}}; only a lone model parameter receives the whole body.'
)
_MAPPING_DETAIL = (
    'Field required: "{name}" is the member "{name}" of the body, sent as '
    '{{"{name}": {{...}}}}; only a lone pydantic model parameter receives the whole body.'
)


def _is_mapping(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _located_name(error: FieldError) -> str | None:
    """The body member an error points at (a query parameter is never a model)."""
    pointer = error.get("pointer")
    return None if pointer is None else pointer.removeprefix("#/")


def _is_model(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _bracketed(list_names: frozenset[str]) -> dict[str, str]:
    """``name[]`` → ``name``: jQuery's ``$.param`` (its default for arrays) and
    PHP-style forms send ``ids[]=1&ids[]=2`` for a list named ``ids``."""
    return {f"{name}[]": name for name in list_names}


def _is_sequence(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation) or annotation
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_is_sequence(arg) for arg in typing.get_args(annotation))
    return origin in _SEQUENCE_ORIGINS


def _is_file(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    if annotation is UploadedFile:
        return True
    return any(_is_file(arg) for arg in typing.get_args(annotation))


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _lone_param(annotations: Mapping[str, Any], path_names: frozenset[str]) -> str | None:
    """The one parameter besides the path's, unless it is marked a member of
    the body (``Body(embed=True)``): a model there takes the whole body or
    query, a list a whole JSON array body."""
    candidates = [n for n in annotations if n not in path_names]
    if len(candidates) != 1 or _is_embedded(annotations[candidates[0]]):
        return None
    return candidates[0]


def _is_embedded(annotation: Any) -> bool:
    """Whether a field marker says the parameter is a member of the body, not all of it.

    FastAPI's ``Body(embed=True)`` (a pydantic ``FieldInfo`` with ``embed``):
    its users send ``{"note": {...}}``; read as the whole body, that was a
    422 asking for the note's fields at the top.
    """
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    return any(getattr(extra, "embed", None) is True for extra in annotation.__metadata__)
