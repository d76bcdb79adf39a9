"""The client ABC every integration's conformance client implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

from ajaxkit import Ajax
from ajaxkit.testing import Files, Params, Response

__all__ = [
    "CLIENTS",
    "Client",
    "Response",
    "WsClosed",
    "WsRefused",
    "WsSession",
    "with_query",
]


def with_query(path: str, params: Params | None) -> str:
    """``path`` with ``params`` added to its query, every pair in the order given.

    Not the test clients' own ``params``: httpx and werkzeug gather a
    repeated name's values together, reordering ``ids[]=1&ids=2&ids[]=3``.
    """
    items = params.items() if isinstance(params, Mapping) else params or ()
    pairs = [
        (k, v)
        for k, value in items
        for v in (value if isinstance(value, (list, tuple)) else [value])
    ]
    query = urlencode(pairs)
    return f"{path}{'&' if '?' in path else '?'}{query}" if query else path


class WsRefused(Exception):
    """The server refused a WebSocket handshake (it was never accepted).

    Whatever the wire form, tests see the status and the problem's code;
    ``problem`` is the body of an HTTP refusal, ``close`` the code and
    reason of a close-frame refusal.
    """

    def __init__(
        self,
        status: int,
        code: str,
        *,
        problem: dict[str, Any] | None = None,
        close: tuple[int, str] | None = None,
    ) -> None:
        super().__init__(status, code)
        self.status, self.code, self.problem, self.close = status, code, problem, close


class WsClosed(Exception):
    """The server closed an accepted WebSocket (``receive_*`` raise it)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code, self.reason = code, reason


class WsSession(Protocol):
    """The client side of an open WebSocket."""

    def send_text(self, data: str) -> None: ...
    def send_bytes(self, data: bytes) -> None: ...
    def send_json(self, data: Any) -> None: ...
    def receive_text(self) -> str: ...
    def receive_bytes(self) -> bytes: ...
    def receive_json(self) -> Any: ...
    def close(self, code: int = 1000) -> None: ...

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers the server sent with ``accept`` (names lower-cased)."""
        ...


#: Every concrete client class, filled in as the client modules are imported.
CLIENTS: list[type[Client]] = []


class Client(ABC):
    """Mounts registries on one framework and makes requests through its test client.

    Constructed with no arguments it serves the conformance app (``/ajax``
    and a debug copy at ``/ajax-debug``); ``Client(apis={"/ajax": api})``
    serves other registries the same way (the model tests do this), and
    ``config={"AJAXKIT_DEBUG": False, ...}`` mounts them under that
    framework configuration, given the framework's own way (Django
    settings, ``app.config``, ...).

    Class attributes:
        name: the test id.
        marks: pytest marker names to apply (``"django"``, ...).
        capabilities: abilities some tests need, e.g. ``"csrf"``
            (the platform enforces CSRF), ``"native"`` (native responses and
            exceptions exist), ``"async_server"`` (served by an event loop),
            ``"websocket"`` (WebSocket endpoints are served),
            ``"hidden_bad_request"`` (the framework's bad-request exception
            speaks of an attack: its problem has the default ``detail``, P7),
            ``"signed_csrf_token"`` (the CSRF token is ajaxkit's, signed with
            ``secret_key``, not the platform's own).
    """

    name: ClassVar[str]
    marks: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: The origin requests are addressed to (``scheme://host``).
    origin: ClassVar[str] = "http://testserver"
    #: Set by :meth:`enforce_csrf`: requests stop looking like a page's fetch().
    csrf_enforced: bool = False
    #: What the framework raises while it builds its own request, before any
    #: middleware or mount: ajaxkit never sees such a request, and a real
    #: server answers it with its own 500.  Django's one case: a query past
    #: ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` once ``Content-Type`` names a charset
    #: (docs/django.md).
    refused_before_mount: ClassVar[tuple[type[Exception], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # ABCMeta sets __abstractmethods__ only after __init_subclass__ runs,
        # so look for abstract methods directly: shared intermediate bases
        # (one per framework) must not be registered.
        if not any(getattr(getattr(cls, n, None), "__isabstractmethod__", False) for n in dir(cls)):
            CLIENTS.append(cls)

    @abstractmethod
    def __init__(
        self, apis: Mapping[str, Ajax] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        """Mount ``apis`` (default: the conformance app) under ``config``."""

    @abstractmethod
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Params | None = None,
        files: Files | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Make one request through the framework; ``content`` is a raw body."""

    @abstractmethod
    def login(self, username: str) -> None:
        """Authenticate later requests as ``username`` the framework's own way."""

    @abstractmethod
    def logout(self) -> None: ...

    def with_defaults(self, headers: dict[str, str] | None) -> dict[str, str]:
        """``headers`` plus ``Sec-Fetch-Site: same-origin`` until :meth:`enforce_csrf`.

        A test client is no browser, so without the header a browser adds to
        a page's own ``fetch()`` every unsafe request would need a token.
        """
        merged = {} if self.csrf_enforced else {"Sec-Fetch-Site": "same-origin"}
        merged.update(headers or {})
        return merged

    def enforce_csrf(self) -> None:
        """Later requests carry only the headers a test gives (capability ``csrf``)."""
        self.csrf_enforced = True

    def csrf_token(self) -> str:
        """A valid CSRF token, its cookie now in this client (capability ``csrf``)."""
        token: str = self.get("/ajax/_csrf").json()["token"]
        return token

    def websocket(
        self,
        path: str,
        *,
        denial_response: bool = True,
        headers: dict[str, str] | None = None,
    ) -> AbstractContextManager[WsSession]:
        """Open a WebSocket as the logged-in user (capability ``websocket``).

        ``denial_response=False`` serves it as a server without the ASGI
        ``websocket.http.response`` extension would; ``headers`` are added
        to the handshake (``Origin``).

        Raises:
            WsRefused: the handshake was refused.
        """
        raise NotImplementedError

    @abstractmethod
    def sibling(self) -> Client:
        """Another client of the same mounted app, with its own cookies/login.

        Safe to call from another thread (the concurrency tests do).
        """

    def close(self) -> None:
        """Release resources (servers, event loops)."""

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)
