"""WebSocket sessions: admission first, then the handler with a small socket object.

Spoken in raw ASGI ``websocket.*`` messages, so Starlette, FastAPI and
Django under ASGI (:func:`ajaxkit.django.asgi`) serve the same session.
The integration only builds the :class:`~ajaxkit.AjaxRequest` of the
handshake (method ``WEBSOCKET``) and calls :func:`serve_websocket`.

1. The handshake goes through :func:`~ajaxkit.core.admission.admit`
   unchanged — route (404), method (405), the endpoint's policy steps
   (authentication 401, permission 403) — and then parameter binding (422),
   all before ``accept``.  The CSRF step runs its header checks there: an
   ``Origin`` from an untrusted site is refused (403 ``csrf_failed``), as
   no token header can be added to a handshake.
2. A refusal never accepts the socket.  When the server supports the ASGI
   ``websocket.http.response`` extension, the refusal is the same problem
   response an HTTP request would get (status, headers, problem+json body);
   otherwise it is a ``websocket.close`` with code ``4000 + status`` (1011
   for a server error) and the problem's ``code`` as the reason (see
   :func:`close_code`, :func:`close_reason`).
3. Admitted, the user is loaded (off the event loop, so ``ws.user`` never
   blocks it), the policy steps that complete see the handshake's answer
   (see :func:`_handshake_answer`), the socket is accepted with the headers
   and cookies they and the admitting steps added, and the handler is called with a
   :class:`WebSocket` and its bound parameters.
4. The session ends when the handler returns (closed with 1000 unless it
   closed itself) or the client goes away: a handler waiting in
   :meth:`WebSocket.receive` gets :class:`~ajaxkit.WebSocketDisconnect`; one
   waiting on anything else is cancelled; its ``finally`` runs either way.
5. An exception from the handler is logged once with an error id naming the
   endpoint (5xx only, as for HTTP) and closes with 1011 for a server error,
   ``4000 + status`` for an :class:`~ajaxkit.AjaxError` the client caused.
6. An endpoint's ``message_rate`` counts the messages the handler receives;
   the one over it closes the session with 4429 ``rate_limited`` and the
   handler's :meth:`WebSocket.receive` raises
   :class:`~ajaxkit.WebSocketDisconnect` (see :mod:`ajaxkit.core.message_rate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from ajaxkit.core.admission import Admission, admit
from ajaxkit.core.asgi import Message, Receive, Scope, Send
from ajaxkit.core.effects import Flow, arun
from ajaxkit.core.encoding import UnencodableValue
from ajaxkit.core.errors import error_context
from ajaxkit.core.jsonvalues import check_json_text
from ajaxkit.core.message_rate import MessageMeter
from ajaxkit.core.pipeline import complete, with_step_headers
from ajaxkit.core.steps import load_user
from ajaxkit.exceptions import (
    EncodingError,
    MalformedJSON,
    PayloadTooLarge,
    TooManyRequests,
    WebSocketDisconnect,
)
from ajaxkit.types import AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.endpoint import Endpoint
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.profile import ErrorContext
    from ajaxkit.core.registry import Ajax
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest

__all__ = [
    "DENIAL_EXTENSION",
    "INTERNAL_ERROR_CLOSE",
    "RATE_LIMITED_CLOSE",
    "REFUSAL_CLOSE_BASE",
    "WebSocket",
    "close_code",
    "close_reason",
    "serve_websocket",
]

#: The ASGI extension that lets an app answer a handshake with an HTTP response.
DENIAL_EXTENSION = "websocket.http.response"
#: A refusal or client error closes with this plus the HTTP status (4401, 4403, ...).
REFUSAL_CLOSE_BASE = 4000
#: RFC 6455's "internal error": the handler failed after ``accept``.
INTERNAL_ERROR_CLOSE = 1011
NORMAL_CLOSE = 1000
#: The codes RFC 6455 (§7.4.1, and IANA's registry) defines for an endpoint to
#: send; 1004-1006 and 1015 are never sent.  Codes 3000-4999 are applications'.
_PROTOCOL_CLOSES = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)
#: A client sent more messages than the endpoint's ``message_rate``: 4000 + 429.
RATE_LIMITED_CLOSE = REFUSAL_CLOSE_BASE + TooManyRequests.status
#: The status of an accepted handshake's HTTP answer.
SWITCHING_PROTOCOLS = 101
# Client messages buffered ahead of the handler.  Beyond this the session
# stops reading, so the server's own flow control holds the client back.
_INBOX_SIZE = 16
# RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the code.
_MAX_REASON_BYTES = 123

_CONNECTED, _CLOSED, _GONE = "connected", "closed", "gone"


class WebSocket:
    """The handler's side of one accepted WebSocket session.

    ``async for message in ws`` yields each message (``str`` for text
    frames, ``bytes`` for binary ones) until the client goes away.

    Attributes:
        request: the handshake as an :class:`~ajaxkit.AjaxRequest`
            (method ``WEBSOCKET``): headers, query, cookies, path
            parameters, ``native``.
    """

    __slots__ = (
        "_cancelled",
        "_done",
        "_endpoint",
        "_inbox",
        "_limit",
        "_meter",
        "_send",
        "_settings",
        "_state",
        "_task",
        "_waiting",
        "close_code",
        "request",
    )

    def __init__(
        self,
        request: AjaxRequest,
        settings: Settings,
        send: Send,
        endpoint: str = "",
        meter: MessageMeter | None = None,
    ) -> None:
        self.request = request
        #: The close code once the session ended (sent by us or by the client).
        self.close_code: int | None = None
        self._settings = settings
        self._send = send
        self._endpoint = endpoint
        self._limit = settings.max_body_size
        self._meter = meter
        self._inbox: asyncio.Queue[Message] = asyncio.Queue(_INBOX_SIZE)
        self._state = _CONNECTED
        self._waiting = False
        self._done = False
        self._cancelled = False
        self._task: asyncio.Task[Any] | None = None

    @property
    def user(self) -> Any:
        """The user, loaded before ``accept`` (``None`` when anonymous)."""
        return self.request.user

    @property
    def path_params(self) -> dict[str, Any]:
        """Values captured from the route pattern."""
        return self.request.path_params

    # --- receiving ------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text frame, ``bytes`` for a binary one.

        Raises:
            WebSocketDisconnect: the client went away (or the session is
                closed; with code 4429 when this message was over the
                endpoint's ``message_rate``, which closed it).
            PayloadTooLarge: the message is over ``settings.max_body_size``.
        """
        # Messages that arrived before the client left are still delivered.
        if self._state is _CLOSED or (self._state is _GONE and self._inbox.empty()):
            raise WebSocketDisconnect(self.close_code or NORMAL_CLOSE)
        self._waiting = True
        try:
            message = await self._inbox.get()
        finally:
            self._waiting = False
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(self.close_code or 1005)
        if self._meter is not None and self._meter.over():
            await self._refuse_flood()
        text = message.get("text")
        data: str | bytes = text if text is not None else (message.get("bytes") or b"")
        if _size(data, self._limit) > self._limit:
            raise PayloadTooLarge(f"A WebSocket message is limited to {self._limit} bytes.")
        return data

    async def receive_json(self) -> Any:
        """The next message parsed as JSON (text or binary frame).

        Raises:
            MalformedJSON: the message is not JSON (closes with 4400 if not caught).
            ValidationFailed: it holds an integer JSON readers cannot hold
                exactly (closes with 4422 if not caught), as a body would (U13).
        """
        data = await self.receive()
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise MalformedJSON(f"The WebSocket message is not valid JSON: {exc.msg}.") from exc
        raw = data.encode("utf-8") if isinstance(data, str) else data
        check_json_text(raw, value)
        return value

    async def _refuse_flood(self) -> None:
        """Close the session of a client over its ``message_rate`` (W7).

        Closed, not merely refused: a handler catching the error would
        otherwise go on reading a client that sends as fast as it likes.
        """
        await self._close(RATE_LIMITED_CLOSE, TooManyRequests.code)
        raise WebSocketDisconnect(RATE_LIMITED_CLOSE)

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                message = await self.receive()
            except WebSocketDisconnect:
                return
            yield message

    # --- sending --------------------------------------------------------------

    async def send(self, data: str | bytes) -> None:
        """Send a text frame (``str``) or a binary frame (``bytes``).

        Raises:
            WebSocketDisconnect: the client went away.
        """
        key = "text" if isinstance(data, str) else "bytes"
        await self._transmit({"type": "websocket.send", key: data})

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as JSON in a text frame, encoded like a handler result."""
        try:
            encoded = self._settings.encoder.dumps(value)
        except UnencodableValue as exc:
            # A type names the value; a JSON limit's description says what to do.
            unknown = ", which cannot be encoded" if exc.value_type is not None else ""
            raise EncodingError(f"Endpoint {self._endpoint} sent {exc.what}{unknown}.") from exc
        await self._transmit({"type": "websocket.send", "text": encoded.decode("utf-8")})

    async def close(self, code: int = NORMAL_CLOSE, reason: str | None = None) -> None:
        """Close the session; later ``send()`` calls fail, ``receive()`` ends.

        Args:
            code: 1000, another code RFC 6455 lets an endpoint send (1001
                going away, 1008 policy violation, 1013 try again later, ...:
                1000-1003, 1007-1014), or an application's, 3000-4999.
            reason: a short text; cut to the 123 bytes a close frame holds
                (``None``, as Starlette's ``close`` takes it: none).
        """
        if not _may_send(code):
            raise ValueError(
                "A WebSocket close code is one an endpoint may send "
                f"(1000-1003, 1007-1014 or 3000-4999), not {code}."
            )
        if self._state is _CONNECTED:
            await self._close(code, reason or "")

    async def _close(self, code: int, reason: str) -> None:
        # Built first: the session is closed only once its close can be sent.
        message = {"type": "websocket.close", "code": code, "reason": _cut(reason)}
        self._state, self.close_code = _CLOSED, code
        # An OSError: the client went away first; there is no one left to tell.
        with contextlib.suppress(OSError):
            await self._send(message)

    async def _transmit(self, message: Message) -> None:
        if self._state is _GONE:
            raise WebSocketDisconnect(self.close_code or 1006)
        if self._state is _CLOSED:
            raise RuntimeError("The WebSocket session is closed.")
        try:
            await self._send(message)
        except OSError as exc:
            # Servers report a send on a dropped connection as an OSError
            # (uvicorn's ClientDisconnected): the client went away.
            self._state, self.close_code = _GONE, 1006
            raise WebSocketDisconnect(1006) from exc

    # --- the session's side ---------------------------------------------------

    async def _read(self, receive: Receive) -> None:
        """Move the client's messages into the inbox until it goes away."""
        code = 1006
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.receive":
                    await self._inbox.put(message)
                elif message["type"] == "websocket.disconnect":
                    code = message.get("code") or 1005
                    break
        except Exception:  # a broken receive is a dropped client
            pass
        self._gone(code)

    def _gone(self, code: int) -> None:
        """The client went away: wake the handler in ``receive`` or cancel it."""
        if self._state is _CONNECTED:
            self.close_code = code
        self._state = _GONE
        if self._done or self._task is None:
            return
        if self._waiting:
            # Waiting in receive(), it reads what is buffered, then finds
            # the client gone; an empty inbox needs a word to wake it.  A
            # full one (a burst just before the close) must not cancel it:
            # every message in it would be lost.
            if self._inbox.empty():
                self._inbox.put_nowait({"type": "websocket.disconnect", "code": code})
        else:
            self._cancelled = True
            self._task.cancel()

    async def _serve(
        self, endpoint: Endpoint, kwargs: dict[str, Any], platform: Platform, receive: Receive
    ) -> None:
        """Run the handler while a reader task watches the client; then end the session."""
        task = self._task = asyncio.current_task()
        reader = asyncio.ensure_future(self._read(receive))
        failure: BaseException | None = None
        try:
            await endpoint.func(self, **kwargs)
        except BaseException as exc:  # sorted out below; re-raised if not ours
            failure = exc
        # From here on a disconnect must not cancel us: we are cleaning up.
        self._done = True
        reader.cancel()
        if self._cancelled:
            # Our own cancellation (the client left), not the server's.
            uncancel = getattr(task, "uncancel", None)
            if uncancel is not None:
                uncancel()
            if isinstance(failure, asyncio.CancelledError):
                failure = None
        if failure is None or isinstance(failure, WebSocketDisconnect):
            await self.close()
        elif isinstance(failure, Exception) and (asked := _asked_close(failure, platform)):
            # The framework's way to end a session with a code of one's own.
            if self._state is _CONNECTED:
                await self._close(*asked)
        elif isinstance(failure, Exception):
            context = error_context(failure, self._settings, self.request, platform, self._endpoint)
            if self._state is _CONNECTED:
                await self._close(close_code(context), close_reason(context))
        else:
            raise failure


def _asked_close(exc: Exception, platform: Platform) -> tuple[int, str] | None:
    """The close ``exc`` asks for through the platform, if an endpoint may send its code.

    A code no endpoint sends (1006 "no close frame") is a mistake: the
    exception is then a server error like any other.
    """
    asked = platform.close_for(exc)
    if asked is None:
        return None
    return asked if _may_send(asked[0]) else None


def _may_send(code: int) -> bool:
    """Whether an endpoint may close with ``code`` (RFC 6455 §7.4; 1005, 1006 never)."""
    return code in _PROTOCOL_CLOSES or 3000 <= code <= 4999


def close_reason(context: ErrorContext) -> str:
    """The close reason for an error: the problem's ``code``, then the error id if any.

    ``"not_authenticated"``; ``"internal_error 3f1c…"`` (the id of the log record).
    """
    reason = context.error.code
    return f"{reason} {context.error_id}" if context.error_id else reason


def close_code(context: ErrorContext) -> int:
    """``4000 + status`` for a client error; 1011 for a server error after ``accept``."""
    return _close_code_for(context.error.status)


def _close_code_for(status: int) -> int:
    return INTERNAL_ERROR_CLOSE if status >= 500 else REFUSAL_CLOSE_BASE + status


async def serve_websocket(
    api: Ajax,
    request: AjaxRequest,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    platform: Platform,
) -> None:
    """Serve one WebSocket connection: admission, then the endpoint's handler.

    Args:
        api: the registry whose ``WEBSOCKET`` endpoints may answer.
        request: the handshake, built by the integration (method ``WEBSOCKET``,
            ``route`` the path below the mount).
        scope: the ASGI connection scope (its ``extensions`` are read).
        receive: the ASGI ``receive``.
        send: the ASGI ``send``.
        platform: the framework facts (exception translation, threads).
    """
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake reached us
    settings = api.settings
    admission = Admission()
    try:
        admitted = await arun(_admit(api, request, platform, admission))
    except Exception as exc:
        name = admission.endpoint.name if admission.endpoint else None
        context = error_context(exc, settings, request, platform, name)
        refusal = await _completed(_render(context), settings, request, platform, admission)
        await _refuse(refusal, close_code(context), close_reason(context), scope, send)
        return
    if isinstance(admitted, AjaxResponse):
        # A policy step answered the handshake itself: that answer refuses it.
        refusal = await _completed(admitted, settings, request, platform, admission)
        code = REFUSAL_CLOSE_BASE + admitted.status
        await _refuse(refusal, code, "", scope, send)
        return
    endpoint, kwargs = admitted
    answer = await _completed(_handshake_answer(), settings, request, platform, admission)
    if answer is None or answer.status != SWITCHING_PROTOCOLS:
        # A step's completion failed: its error answer refuses the handshake.
        status = answer.status if answer is not None else 500
        await _refuse(answer, _close_code_for(status), "", scope, send)
        return
    meter = MessageMeter(endpoint.message_rate, settings.clock) if endpoint.message_rate else None
    socket = WebSocket(request, settings, send, endpoint.name, meter)
    accept: Message = {"type": "websocket.accept"}
    headers = _accept_headers(answer)
    if headers:  # most sessions have none: keep the plain message
        accept["headers"] = headers
    await send(accept)
    await socket._serve(endpoint, kwargs, platform, receive)


def _handshake_answer() -> AjaxResponse:
    """The HTTP answer an accepted handshake is: ``101 Switching Protocols``.

    Policy steps that complete (rate-limit fields, a step's cookie or its
    bookkeeping) see this answer at accept time, not when the session
    ends: the 101 is the only HTTP response of the session, so it is the
    only place their headers and cookies can go, and what they count is the
    handshake a client made, as an HTTP request would be counted.  A session
    lasting hours must not hold that back until it closes.
    """
    return AjaxResponse(status=SWITCHING_PROTOCOLS)


async def _completed(
    response: AjaxResponse | None,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    admission: Admission,
) -> AjaxResponse | None:
    """``response`` after the admitted steps that complete, as for an HTTP answer."""
    if response is None:
        return response
    if admission.completes:
        done = complete(admission, settings, request, platform, response)
        if not isinstance(done, AjaxResponse):
            done = await arun(done)
        response = done
    return with_step_headers(admission, response)


def _accept_headers(answer: AjaxResponse) -> list[tuple[bytes, bytes]]:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers.multi_items()
    ]
    headers += [(b"set-cookie", c.header_value().encode("latin-1")) for c in answer.cookies]
    return headers


def _admit(
    api: Ajax, request: AjaxRequest, platform: Platform, admission: Admission
) -> Flow[tuple[Endpoint, dict[str, Any]] | AjaxResponse]:
    """Admission, then binding: everything that may refuse before ``accept``."""
    yield from admit(api.router, api.settings, request, platform, admission)
    if admission.response is not None:
        return admission.response
    endpoint = admission.endpoint
    assert endpoint is not None  # only OPTIONS is admitted without one
    # Loaded now, off the event loop, so that ``ws.user`` never blocks it
    # (on Django it is a session lookup): once per connection, not per message.
    yield load_user(request, platform)
    binder = endpoint.shape.binder
    return endpoint, (binder.bind(request) if binder else {})


async def _refuse(
    response: AjaxResponse | None, code: int, reason: str, scope: Scope, send: Send
) -> None:
    """Answer the handshake without accepting it: HTTP where the server can, else a close."""
    extensions = scope.get("extensions") or {}
    if response is not None and DENIAL_EXTENSION in extensions:
        await _send_denial(response, send)
        return
    await send({"type": "websocket.close", "code": code, "reason": _cut(reason)})


def _render(context: ErrorContext) -> AjaxResponse | None:
    """The problem response for a refusal, or ``None`` to refuse with a close only."""
    try:
        response = context.settings.profile.render_error(context)
    except Exception:
        logging.getLogger(context.settings.logger_name).exception(
            "The WebSocket refusal failed to render"
        )
        return None
    return None if response.native is not None or response.stream is not None else response


async def _send_denial(response: AjaxResponse, send: Send) -> None:
    headers = _accept_headers(response)
    headers.append((b"content-length", b"%d" % len(response.body)))
    await send(
        {"type": "websocket.http.response.start", "status": response.status, "headers": headers}
    )
    await send({"type": "websocket.http.response.body", "body": response.body})


def _size(data: str | bytes, limit: int) -> int:
    """The message's size in bytes (UTF-8 for text), encoding only when it may matter."""
    if isinstance(data, bytes) or len(data) * 4 <= limit:
        return len(data)
    return len(data.encode("utf-8"))


def _cut(reason: str) -> str:
    raw = reason.encode("utf-8")
    if len(raw) <= _MAX_REASON_BYTES:
        return reason
    return raw[:_MAX_REASON_BYTES].decode("utf-8", "ignore")
