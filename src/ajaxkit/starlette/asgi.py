"""The ASGI app that serves an :class:`~ajaxkit.Ajax` registry under Starlette.

The hot path builds the :class:`~ajaxkit.AjaxRequest` straight from the ASGI
scope and sends the :class:`~ajaxkit.AjaxResponse` as two ASGI messages: no
Starlette ``Request``/``Response`` parsing or rendering per request, which is
most of what ajaxkit would otherwise add to a bare Starlette route.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send

from ajaxkit.core.asgi import send_stream
from ajaxkit.core.csrf import signing_keys
from ajaxkit.core.endpoint import WEBSOCKET
from ajaxkit.core.platform import Platform
from ajaxkit.core.querystring import parse_query
from ajaxkit.core.registration_checks import check_mount
from ajaxkit.core.registry import Ajax
from ajaxkit.core.steps import SAFE_METHODS
from ajaxkit.core.websocket import serve_websocket
from ajaxkit.exceptions import ClientError
from ajaxkit.signing import ItsdangerousSigner
from ajaxkit.starlette.platform import STARLETTE_PLATFORM
from ajaxkit.types import AjaxRequest, AjaxResponse, DeferredHeaders, MultiDict

__all__ = [
    "AjaxApp",
    "AjaxMount",
    "ReceiveBody",
    "ScopeHeaders",
    "build_request",
    "build_websocket_request",
    "route_path",
    "scope_headers",
    "scope_query",
    "send_response",
]


# Statuses whose responses have no body, so no Content-Length (RFC 9110 §8.6).
_BODYLESS_STATUSES = frozenset({204, 304})


#: The key tokens are signed with when the registry names none: one per
#: process, so that every mount of it signs alike.
_PROCESS_SECRET = secrets.token_bytes(32)


@functools.lru_cache(maxsize=8)
def _signer(keys: tuple[str | bytes, ...]) -> ItsdangerousSigner:
    # One per set of keys: the core remembers good signatures by the signer's identity.
    return ItsdangerousSigner(keys)


class AjaxApp:
    """An ASGI app answering every path below its mount from one registry.

    Args:
        api: the registry to serve.
        platform: the framework facts (Starlette's unless you extend them).
    """

    __slots__ = ("api", "host_scope", "platform")

    def __init__(self, api: Ajax, platform: Platform = STARLETTE_PLATFORM) -> None:
        check_mount(api.endpoints(), platform.name)
        self.api = api
        self.platform = platform
        #: What the app this one serves ahead of would have put in the scope
        #: (:func:`ajaxkit.starlette.front`: the app and its router), given to
        #: the framework's own request; a scope's own entries win.
        self.host_scope: Mapping[str, Any] = _NO_HOST
        policy = api.settings.csrf
        if policy.signer is None:
            # Starlette has no app secret: the registry's, else one per process.
            # On the resolved settings, never the code's (as Flask's mount
            # does): written back as the code's, the policy resolved from
            # one configuration outlived it, and mounting the registry under
            # another kept the first one's trusted origins and key.
            signer = _signer(signing_keys(api.settings, _PROCESS_SECRET))
            api.settings = api.settings.replace(csrf=dataclasses.replace(policy, signer=signer))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            request = build_request(scope, receive, self.host_scope)
            response = await self.api.adispatch(request, self.platform)
            await send_response(response, scope, receive, send)
        elif kind == "websocket":
            request = build_websocket_request(scope, self.host_scope)
            await serve_websocket(self.api, request, scope, receive, send, platform=self.platform)
        elif kind == "lifespan":
            await serve_lifespan(receive, send)
        else:
            # The ASGI spec asks apps to raise on scope types they do not know.
            raise RuntimeError(f"ajaxkit cannot serve ASGI scope type {kind!r}.")


class AjaxMount(Mount):
    """A Starlette ``Mount`` of an :class:`AjaxApp` that owns every path below it.

    Starlette's ``Mount`` pattern stops at a newline, so a plain
    ``Mount("/ajax", app=...)`` leaves ``/ajax/x%0d%0a...`` to the router's
    plain-text 404; this one matches it and the core answers a problem 404.

    Args:
        path: the mount prefix (``"/ajax"``).
        api: the registry to serve.
        name: the route name, for ``url_path_for``.
        platform: the framework facts (Starlette's unless you extend them).
    """

    def __init__(
        self,
        path: str,
        api: Ajax,
        *,
        name: str | None = None,
        platform: Platform = STARLETTE_PLATFORM,
    ) -> None:
        super().__init__(path, app=AjaxApp(api, platform), name=name)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


# --- request ----------------------------------------------------------------


def scope_query(query: bytes) -> MultiDict:
    """A scope's ``query_string`` as a :class:`MultiDict` (shared when empty)."""
    # The bytes that came (a client may not have percent-encoded): Starlette
    # reads them as Latin-1, which bound mojibake.
    return parse_query(query)


_NO_HOST: Mapping[str, Any] = {}


def build_request(
    scope: Scope, receive: Receive, host: Mapping[str, Any] = _NO_HOST
) -> AjaxRequest:
    """The :class:`AjaxRequest` for an HTTP scope (the body is read later, if at all).

    ``host``: scope entries the framework's own request gets where ``scope``
    lacks them (see :attr:`AjaxApp.host_scope`).
    """
    query: bytes = scope["query_string"]
    body = ReceiveBody(receive)
    return AjaxRequest(
        method=scope["method"],
        path=scope["path"],
        route=route_path(scope),
        # A request with a body reads its Content-Length and Content-Type
        # (and an unsafe one is CSRF-checked): its headers are indexed at once.
        # Positional: a keyword to a class call cost ~1,400 instructions.
        headers=ScopeHeaders(scope["headers"], scope["method"] in SAFE_METHODS),
        query=scope_query(query),
        # Starlette's Request is built only if a handler or step asks for it.
        native_factory=functools.partial(native_request, scope, body, host),
        body=body,
        # Set by Starlette's AuthenticationMiddleware; absent without it.
        user=scope.get("user"),
        scheme=scope.get("scheme", "http"),
        client=_peer(scope),
    )


def native_request(
    scope: Scope, body: ReceiveBody, host: Mapping[str, Any], request: AjaxRequest
) -> Request:
    """Starlette's own ``Request`` for a handler that asks for it.

    It reads the body ajaxkit has read already (the receive channel is
    drained by then: reading it again would wait forever) and holds the
    route's captures in ``path_params``, as in a Starlette view.
    """
    params = {**scope.get("path_params", {}), **request.path_params}
    return Request({**host, **scope, "path_params": params}, body.replay)


def route_path(scope: Scope) -> str:
    """The path below the mount.

    Starlette's ``Mount`` keeps the full ``path`` and appends the mount
    prefix to ``root_path``, so the route is what follows ``root_path``.  A
    server that strips ``root_path`` from ``path`` (older ASGI servers
    behind ``--root-path``) leaves the route as ``path`` itself.
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    route = path[len(root) :]
    return route if not route or route[0] == "/" else path


def scope_headers(raw: list[tuple[bytes, bytes]], *, scan_first: bool = True) -> ScopeHeaders:
    """The scope's headers, decoded on first use (see :class:`ScopeHeaders`)."""
    return ScopeHeaders(raw, scan_first=scan_first)


class ScopeHeaders(DeferredHeaders):
    """An ASGI scope's headers, read by name straight from its raw pairs.

    A GET that binds nothing from them never pays for decoding a browser's
    dozen: one header asked for by name (the core reads ``Content-Length``
    and ``Content-Type`` of every body, the CSRF step ``Sec-Fetch-Site``, a
    rate limit ``X-Forwarded-For``) decodes only its value, and the whole
    mapping is built only when something iterates the headers.  Every
    answer is what that mapping would give (repeats joined with ``", "``).

    Names are matched as ASGI requires servers to send them, in lower case,
    and as Starlette's own ``Headers`` matches them: a name a server sent
    otherwise is not found, by name or by iterating (a server that does so
    breaks the protocol; checking every name cost more than the lookups).
    """

    __slots__ = ("_index", "_raw")

    def __init__(self, raw: list[tuple[bytes, bytes]], scan_first: bool = True) -> None:
        """``scan_first``: answer the first lookup by scanning the pairs, for
        a request that will likely ask for one header or none (a GET); the
        pairs are indexed by name from the first lookup otherwise."""
        self._built = None  # the whole mapping, made only if something iterates
        self._raw = raw
        # None until the first lookup, which scans; _SCANNED after it; from
        # the next, the raw pairs by name, or {} when a name repeats (see
        # _raw_index).
        self._index: dict[bytes, bytes] | None = None if scan_first else _SCANNED

    def _pairs(self) -> Iterable[tuple[str, str]]:
        # Only the names a lookup can find: the mapping and the lookups agree.
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._raw if k.lower() == k]

    def get(self, key: str, /, default: Any = None) -> Any:
        # The one place a name is looked up: the core asks for a few headers
        # on every request, and each call layer costs about as much as the
        # lookup itself.
        name = _RAW_NAMES.get(key)
        if name is None:
            name = _raw_name(key)
            if name is None:  # no such header can have been sent
                return default
        index = self._index
        if index is None:
            # A GET asks for one header or none (a limit's X-Forwarded-For):
            # one scan costs less than building the dict (a third of it for
            # a browser's fifteen names, which then need hashing).
            self._index = _SCANNED
        else:
            if index is _SCANNED:
                index = self._index = _raw_index(self._raw)
            if index:
                found = index.get(name)
                return default if found is None else found.decode("latin-1")
        # The first lookup, or any when a name repeats: scan, joining repeats.
        found = None
        for raw_name, value in self._raw:
            if raw_name == name:
                found = value if found is None else found + b", " + value
        # Latin-1 maps byte to character, so joining before decoding is the same.
        return default if found is None else found.decode("latin-1")

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        index = self._index
        if index is None or index is _SCANNED:
            index = self._index = _raw_index(self._raw)
        if not index:
            return [self.get(key) for key in keys]
        values: list[str | None] = []
        for key in keys:
            name = _RAW_NAMES.get(key)
            if name is None:
                name = _raw_name(key)
            found = None if name is None else index.get(name)
            values.append(None if found is None else found.decode("latin-1"))
        return values

    def __getitem__(self, key: str) -> str:
        value: str | None = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None


#: ScopeHeaders._index after the first lookup: the next one builds the index.
#: Empty, so that code testing for an index that answers sees none.
_SCANNED: dict[bytes, bytes] = {}

#: Header names as asked for, by their raw (lower-case Latin-1) form:
#: encoding a name costs as much as finding it.  Names come from code and
#: settings, so few; bounded anyway, since a handler may ask for any.
_RAW_NAMES: dict[str, bytes] = {}
_RAW_NAMES_BOUND = 256


def _raw_name(key: str) -> bytes | None:
    """``key`` as a raw header name, lower case; ``None`` where no header can be so named."""
    name = _RAW_NAMES.get(key)
    if name is not None:
        return name
    try:
        name = key.lower().encode("latin-1")
    except UnicodeEncodeError:
        return None
    if len(_RAW_NAMES) < _RAW_NAMES_BOUND:
        _RAW_NAMES[key] = name
    return name


def _raw_index(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The raw pairs by name, when that answers every lookup; else ``{}``.

    It does when no name repeats (repeats are joined, in order), which is
    the common case: a browser repeats few headers.  Built on a request's
    second lookup: a dict of a dozen pairs costs less than two scans.
    """
    index = dict(raw)
    return index if len(index) == len(raw) else {}


class ReceiveBody:
    """Reads the body from ASGI ``http.request`` messages, bounded by a limit.

    It stops as soon as more than ``limit`` bytes arrived, so an oversized
    body sent without ``Content-Length`` (chunked) is never buffered whole.
    A whole body read is kept for :meth:`replay`.
    """

    __slots__ = ("_read", "_receive", "_replayed")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._read: bytes | None = None
        self._replayed = False

    async def replay(self) -> Message:
        """The receive channel for a second reader: the body read here, then the channel."""
        if self._read is not None and not self._replayed:
            self._replayed = True
            return {"type": "http.request", "body": self._read, "more_body": False}
        return await self._receive()

    def read(self, limit: int) -> bytes:
        raise RuntimeError("An ASGI request body can only be read with aread().")

    async def aread(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientError("The client disconnected before sending the whole body.")
            chunk: bytes = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)[: limit + 1]  # refused: nothing to replay
            if not message.get("more_body", False):
                self._read = b"".join(chunks)
                return self._read


# --- response ---------------------------------------------------------------


async def send_response(response: AjaxResponse, scope: Scope, receive: Receive, send: Send) -> None:
    """Send ``response``; a native Starlette response is called as the ASGI app it is."""
    if response.native is not None:
        await response.native(scope, receive, send)
        return
    head = scope["method"] == "HEAD"
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": raw_headers(response, head),
        }
    )
    if response.stream is not None and not head:
        await send_stream(response.stream, send, receive)
    else:
        await send({"type": "http.response.body", "body": response.body})


def raw_headers(response: AjaxResponse, head: bool) -> list[tuple[bytes, bytes]]:
    """ASGI header pairs, with ``Content-Length`` for a complete body."""
    # HEAD's emptied body must not claim a length of 0 for the GET it mirrors.
    sized = not head and response.stream is None and response.status not in _BODYLESS_STATUSES
    raw: list[tuple[bytes, bytes]] = []
    for pair in response.headers.multi_items():
        encoded = _ENCODED_PAIRS.get(pair)
        if encoded is None:
            encoded = _encoded_pair(pair)
            if encoded[0] == b"content-length":
                sized = False
        raw.append(encoded)
    for cookie in response.cookies:
        raw.append((b"set-cookie", cookie.header_value().encode("latin-1")))
    if sized:
        raw.append((b"content-length", b"%d" % len(response.body)))
    return raw


# Pairs repeat on every response (a content type, a rate limit's fields):
# finding one encoded cost a response ~1,200 instructions less a pair than
# encoding it again.  Bounded in number and size, since a handler may put
# anything in a header.
_ENCODED_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_ENCODED_PAIRS_BOUND = 1024
_ENCODED_VALUE_LIMIT = 256


def _encoded_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    """``pair`` as ASGI's bytes, remembered unless it is ``Content-Length``."""
    name, value = pair
    encoded = (name.lower().encode("latin-1"), value.encode("latin-1"))
    # Content-Length is never remembered: raw_headers must see it to know
    # the handler sized the body itself.
    if encoded[0] != b"content-length" and len(value) <= _ENCODED_VALUE_LIMIT:
        if len(_ENCODED_PAIRS) >= _ENCODED_PAIRS_BOUND:
            _ENCODED_PAIRS.clear()
        _ENCODED_PAIRS[pair] = encoded
    return encoded


# --- other scope types ------------------------------------------------------


def build_websocket_request(scope: Scope, host: Mapping[str, Any] = _NO_HOST) -> AjaxRequest:
    """The :class:`AjaxRequest` of a WebSocket handshake (method ``WEBSOCKET``).

    ``native`` is Starlette's ``HTTPConnection``: the handshake's URL,
    headers, cookies and session, but no way to send or receive, which the
    core's session owns.
    """
    query: bytes = scope.get("query_string", b"")
    return AjaxRequest(
        method=WEBSOCKET,
        path=scope["path"],
        route=route_path(scope),
        headers=scope_headers(scope["headers"]),
        query=scope_query(query),
        native=HTTPConnection({**host, **scope} if host else scope),
        user=scope.get("user"),
        # ws/wss: the page's origin is http(s), which is what Origin says.
        scheme="https" if scope.get("scheme") == "wss" else "http",
        client=_peer(scope),
    )


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown when the app is served on its own."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
