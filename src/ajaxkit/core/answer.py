"""Answer: body (413, 415, 400) → input limits (400) → parameters (422) → handler → rendering.

Runs only after :mod:`ajaxkit.core.admission` let the request in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ajaxkit.core.body import BODY_METHODS, ReadBody, parse_body
from ajaxkit.core.effects import Flow
from ajaxkit.core.encoding import UnencodableValue
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.head import strip_for_head
from ajaxkit.core.headerfields import check_response_headers, checked_headers
from ajaxkit.core.limits import check_input_limits
from ajaxkit.core.platform import declared_platforms
from ajaxkit.core.streams import Chunks, CloseChunks, Stream, is_stream_result
from ajaxkit.exceptions import EncodingError, ServerError
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = ["HandlerCall", "answer", "check_status", "render_result", "split_result"]


def answer(
    endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> Flow[AjaxResponse]:
    """Read the body, bind parameters, call the handler and render its result."""
    if request.method in BODY_METHODS:
        limit = settings.max_body_size
        raw = yield ReadBody(request, limit)
        parse_body(request, raw, limit, max_parts=settings.max_params)
    check_input_limits(request, settings)
    call = HandlerCall(endpoint, request, platform)
    if endpoint.flow is not None:
        # A flow handler is part of the pipeline: it answers with a response.
        response: AjaxResponse = yield from endpoint.flow(request, settings, platform, call.kwargs)
        return response
    result = yield call
    unsent = _stream_chunks(result, platform) if request.method == "HEAD" else None
    response = render_result(result, endpoint, settings, request, platform)
    if unsent is not None:
        # A HEAD answer sends no body: the handler's stream is closed here,
        # since no server will iterate (and so close) it.
        yield CloseChunks(unsent, platform.run_in_thread)
    return response


def _stream_chunks(result: Any, platform: Platform) -> Chunks | None:
    """The chunks of the stream ``result`` answers with, if it is one of the core's."""
    if type(result) in _PLAIN_VALUES or (
        platform.native_response_types and isinstance(result, platform.native_response_types)
    ):
        return None
    if isinstance(result, AjaxResponse):
        result = result.stream
    elif type(result) is tuple and 2 <= len(result) <= 3:
        result = result[0]  # (stream, status[, headers])
    if isinstance(result, Stream):
        return result.chunks
    return result if result is not None and is_stream_result(result) else None


def _refuse_no_native(endpoint: Endpoint) -> None:
    """A handler taking the framework's request, called with none (the test client).

    It was handed ``None``, and failed inside with ``'NoneType' object has
    no attribute 'headers'``, naming neither the client nor the fix.
    """
    raise ServerError(
        f"Endpoint {endpoint.name} takes the framework's own request, and this request "
        f"came with none: ajaxkit.testing.Client calls endpoints without a framework. "
        f"Test this endpoint through the framework's own test client, or give the "
        f"handler ajaxkit's request (annotate it AjaxRequest)."
    )


class HandlerCall:
    """The effect of calling the handler with its bound arguments.

    A class rather than two ``partial``\\ s: the driver uses one of its two
    ways, so building both per request would be wasted work.
    """

    __slots__ = ("args", "endpoint", "kwargs", "platform")

    def __init__(self, endpoint: Endpoint, request: AjaxRequest, platform: Platform) -> None:
        shape = endpoint.shape
        kwargs = shape.binder.bind(request) if shape.binder else {}
        native = endpoint.request_arg == "native"
        if native:
            kwargs.update(request.path_params)
        if native or shape.native_request:
            given: Any = request.native
            if given is None and shape.native_request:
                _refuse_no_native(endpoint)
        else:
            given = request
        self.args: tuple[Any, ...] = (given,) if shape.takes_request else ()
        self.endpoint, self.kwargs, self.platform = endpoint, kwargs, platform

    def sync(self) -> Any:
        return self.endpoint.sync_func(*self.args, **self.kwargs)

    async def async_(self) -> Any:
        endpoint = self.endpoint
        if endpoint.is_async:
            return await endpoint.func(*self.args, **self.kwargs)
        return await self.platform.run_in_thread(endpoint.func, *self.args, **self.kwargs)


def render_result(
    result: Any, endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> AjaxResponse:
    """The response for a handler's ``result``."""
    profile = settings.profile
    if type(result) in _PLAIN_VALUES:
        # The common case, decided by one lookup: a dict or list is neither a
        # native response, an AjaxResponse, a stream nor a status tuple.
        return _encoded((result, 200, {}), endpoint, settings, request)
    if platform.native_response_types and isinstance(result, platform.native_response_types):
        return profile.render_native(result, platform, settings)
    if isinstance(result, AjaxResponse):
        result.status = check_status(result.status, endpoint)
        check_response_headers(result, endpoint.name)
        if result.stream is not None:
            # HEAD: an empty stream, as below; the flow closes the handler's.
            chunks = iter(()) if request.method == "HEAD" else result.stream
            result.stream = _bound_stream(chunks, endpoint, settings, request, platform)
        else:
            result.body = _body_bytes(result.body, endpoint)
            strip_for_head(request, result)
        return result
    if is_stream_result(result):
        return _stream_response(result, endpoint, settings, request, platform)
    if profile.tuple_sets_status and _is_native_tuple(result, platform):
        return profile.render_native(
            _amended_native(result, endpoint, platform), platform, settings
        )
    value, status, headers = split_result(result, profile.tuple_sets_status, profile.none_status)
    if value is not result and type(value) not in _PLAIN_VALUES and is_stream_result(value):
        # (stream, status[, headers]): the tuple's status and headers, as for any body.
        stream = value if isinstance(value, Stream) else Stream.ndjson(value, settings)
        stream.status, stream.headers = status, {**stream.headers, **headers}
        return _stream_response(stream, endpoint, settings, request, platform)
    status = check_status(status, endpoint, _TUPLE_HINT if isinstance(result, tuple) else "")
    return _encoded((value, status, headers), endpoint, settings, request)


def _body_bytes(body: object, endpoint: Endpoint) -> bytes:
    """The bytes of a body a handler put in its own :class:`AjaxResponse` (rule S9).

    Left to the framework, text failed Starlette while it wrote the body
    (and a batch holding the item), and a ``bytearray`` went out from
    Django as the decimal digits of its bytes; a ``HEAD`` answer's length
    counted characters, not bytes.  Text is sent as UTF-8, as a stream's
    text chunks are, and as Django and Flask encoded it.
    """
    if type(body) is bytes:
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise ServerError(
        f"Endpoint {endpoint.name} answered with an AjaxResponse whose body is of type "
        f"{type(body).__name__}: a body is bytes (or text, sent as UTF-8)."
    )


#: Result types rendered as they are (exact types: a subclass may be anything).
_PLAIN_VALUES = frozenset({dict, list})


def _is_native_tuple(result: Any, platform: Platform) -> bool:
    """``(native_response, status[, headers])`` or ``(native_response, headers)``."""
    return (
        type(result) is tuple
        and 2 <= len(result) <= 3
        and bool(platform.native_response_types)
        and isinstance(result[0], platform.native_response_types)
    )


def _amended_native(result: tuple[Any, ...], endpoint: Endpoint, platform: Platform) -> Any:
    """The native response of ``result`` with the tuple's status and headers set on it,
    as Flask answers ``return jsonify(...), 201``."""
    native, second, *rest = result
    if isinstance(second, dict):
        status, headers = None, second
    elif isinstance(second, int) and not isinstance(second, bool):
        status, headers = second, dict(rest[0]) if rest else {}
    else:
        raise ServerError(
            f"Endpoint {endpoint.name} returned a response in a tuple with {second!r}: "
            "write (response, status), (response, status, headers) or (response, headers)."
        )
    if status is not None:
        status = check_status(status, endpoint)
    headers = checked_headers(headers, endpoint.name)
    if platform.amend_native is None:
        raise ServerError(f"Endpoint {endpoint.name}: {platform.name} cannot amend a response.")
    platform.amend_native(native, status, headers)
    return native


def _encoded(
    result: tuple[Any, int, dict[str, str]],
    endpoint: Endpoint,
    settings: Settings,
    request: AjaxRequest,
) -> AjaxResponse:
    value, status, headers = result
    if headers:
        headers = checked_headers(headers, endpoint.name)
    if endpoint.result is not None and value is not None:
        value = endpoint.result.apply(value, endpoint.name)
    try:
        response = settings.profile.render_result(value, status, headers, settings)
    except UnencodableValue as exc:
        kind = exc.value_type
        if kind is None:  # past what JSON carries: the description says what to do
            raise EncodingError(f"Endpoint {endpoint.name} returned {exc.what}.") from exc
        raise EncodingError(_unencodable(endpoint, kind)) from exc
    return strip_for_head(request, response)


def _unencodable(endpoint: Endpoint, kind: type) -> str:
    """What to do about a value of type ``kind`` the encoder does not know.

    A newcomer returns an ORM row or a QuerySet.  A collection that is no
    list (a QuerySet, ``dict.values()``, a ``range``) needs only ``list()``,
    which advice to register an encoder for its type would hide.
    """
    name = f"{kind.__module__}.{kind.__qualname__}"
    framework = next(
        (p.name for p in declared_platforms() if issubclass(kind, p.native_response_types)),
        None,
    )
    if framework is not None:
        # Served where that framework is not: ajaxkit.testing.Client, mostly.
        return (
            f"Endpoint {endpoint.name} returned a {framework} response ({name}), which only "
            f"a {framework} mount can send, not another framework's nor "
            f"ajaxkit.testing.Client, which calls endpoints without a framework: test "
            f"this endpoint through the framework's own test client."
        )
    if issubclass(kind, Awaitable):
        return (
            f"Endpoint {endpoint.name} returned a value of type {name}, an awaitable: "
            f"an async function called without await. Await it (return await load(...)), "
            f"in an async def handler."
        )
    if issubclass(kind, (bytes, bytearray, memoryview)):
        # Iterable too, but list(...) of a file's contents is an array of numbers.
        return (
            f"Endpoint {endpoint.name} returned a value of type {name}, which JSON "
            f"cannot carry. To send the bytes as the body, return "
            f"AjaxResponse(body=..., headers={{'Content-Type': 'application/pdf'}}) "
            f"(from ajaxkit) with their media type, or your framework's own response; "
            f"to send text, .decode() them."
        )
    if issubclass(kind, Iterable) and not issubclass(kind, Mapping):
        return (
            f"Endpoint {endpoint.name} returned a value of type {name}, which is iterable "
            f"but not a list, so it cannot be encoded. Return list(...) of it to send an "
            f"array (of a QuerySet of rows: list(queryset.values(...))), or give the "
            f"handler a return annotation naming a pydantic model (-> list[UserOut]), "
            f"which reads each row's attributes."
        )
    return (
        f"Endpoint {endpoint.name} returned a value of type {name}, which cannot be "
        f"encoded. Return dicts, lists, dataclasses or pydantic models; give the handler "
        f"a return annotation naming a pydantic model (-> UserOut, -> list[UserOut]), "
        f"which reads an ORM row's attributes; or teach the encoder the type: "
        f"api.settings.encoder.register({kind.__name__}, lambda value: ...)."
    )


def check_status(status: int, endpoint: Endpoint, hint: str = "") -> int:
    """Refuse a status no final HTTP answer can carry, the same way on every framework.

    Left to the framework, Django raises while building its response (its
    HTML 500) and others send the number on; here it is a logged 500 problem.
    A 1xx status is interim, never a final answer (Django and Flask sent
    one without its body, Starlette with it, and a server checking its
    output refuses it), and a float (``402 / 2``) is no status at all,
    which Flask failed on and Starlette wrote as ``201.0``.  ``hint`` is
    added to the message.  Returns the status as a plain ``int``: an
    ``http.HTTPStatus`` (which every framework takes) is its number.
    """
    if type(status) is int and 200 <= status <= 599:
        return status
    if isinstance(status, HTTPStatus) and 200 <= status <= 599:
        return int(status)
    raise ServerError(
        f"Endpoint {endpoint.name} answered with status {status!r}, "
        f"not a whole number from 200 to 599.{hint}"
    )


#: A handler returning a tuple of data (``tuple(ids)``) meant an array.
_TUPLE_HINT = (
    " A returned tuple is read as (body, status[, headers]); return a list to send an array."
)


def _stream_response(
    result: Any, endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> AjaxResponse:
    if not isinstance(result, Stream):
        result = Stream.ndjson(result, settings)
    status = check_status(result.status, endpoint)
    headers = {"Content-Type": result.media_type, **result.headers}
    headers = checked_headers(headers, endpoint.name)
    stream = _bound_stream(result, endpoint, settings, request, platform)
    if request.method == "HEAD":
        # The handler ran; a HEAD answer has no body, so its stream is never
        # sent.  Still a stream, an empty one: its length is unknown, and a
        # body of b"" would have some frameworks say "Content-Length: 0",
        # which a cache takes for an empty resource.
        empty = _bound_stream(iter(()), endpoint, settings, request, platform)
        return AjaxResponse(status=status, headers=headers, stream=empty)
    return AjaxResponse(status=status, headers=headers, stream=stream)


def _bound_stream(
    chunks: Any, endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> Stream:
    # An AjaxResponse may carry a bare iterator of byte chunks as its stream.
    stream = chunks if isinstance(chunks, Stream) else Stream(chunks)
    stream.bind(settings, request, platform, endpoint.name)
    return stream


def split_result(
    result: Any, tuple_sets_status: bool, none_status: int = 204
) -> tuple[Any, int, dict[str, str]]:
    """``value``, ``(value, status)``, ``(value, status, headers)``, ``(value, headers)``;
    a bare ``None`` gets ``none_status``."""
    if result is None:
        return None, none_status, {}
    if not (tuple_sets_status and isinstance(result, tuple) and 2 <= len(result) <= 3):
        return result, 200, {}
    value, second, *rest = result
    if isinstance(second, dict):
        return value, 200, dict(second)
    if not isinstance(second, int) or isinstance(second, bool):
        return result, 200, {}
    headers = dict(rest[0]) if rest else {}
    return value, second, headers
