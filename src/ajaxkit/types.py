"""Framework-neutral request and response values (stdlib only).

Integrations translate their native request into an :class:`AjaxRequest` and
an :class:`AjaxResponse` back into a native response; everything between is
the core's business and never sees a framework object except as the opaque
``native`` attribute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "EMPTY_QUERY",
    "UNLOADED",
    "AjaxRequest",
    "AjaxResponse",
    "BodySource",
    "Headers",
    "LazyHeaders",
    "MultiDict",
    "NativeSummary",
    "UploadedFile",
]


class MultiDict(Mapping[str, str]):
    """An immutable mapping where a key may repeat (query strings, forms).

    ``d[key]`` and ``d.get(key)`` give the last value, as Django and
    Starlette do; ``d.getlist(key)`` gives all of them in order.
    """

    __slots__ = ("_lists",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        lists: dict[str, list[str]] = {}
        for key, value in items:
            lists.setdefault(key, []).append(value)
        self._lists = lists

    def __getitem__(self, key: str) -> str:
        return self._lists[key][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def getlist(self, key: str) -> list[str]:
        """All values for ``key``, oldest first; empty when absent."""
        return list(self._lists.get(key, ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` pair, repeated keys included."""
        return [(k, v) for k, values in self._lists.items() for v in values]

    def __repr__(self) -> str:
        return f"MultiDict({self.multi_items()!r})"


class Headers(Mapping[str, str]):
    """Case-insensitive, immutable request headers.

    Repeated headers are joined with ``", "`` as RFC 9110 §5.3 allows.
    """

    __slots__ = ("_map",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        merged: dict[str, str] = {}
        for key, value in items:
            name = key.lower()
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        self._map = merged

    def __getitem__(self, key: str) -> str:
        return self._map[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"Headers({self._map!r})"


class LazyHeaders(Headers):
    """:class:`Headers` built on first use from ``factory()``.

    Integrations pass one so that a request whose handler never looks at a
    header never pays for decoding them (a dozen browser headers cost more
    than the rest of the request translation).
    """

    __slots__ = ("_factory",)

    def __init__(self, factory: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self._factory = factory  # Headers.__init__ runs on first use, below.

    def __getattr__(self, name: str) -> Any:
        # Reached only while the ``_map`` slot is still unset.
        if name != "_map":
            raise AttributeError(name)
        Headers.__init__(self, self._factory())
        return self._map


#: The query of a request without one; shared, since a MultiDict is immutable.
EMPTY_QUERY = MultiDict()


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` body, held in memory.

    It is bounded by the body-size limit, which is checked before parsing.
    """

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class NativeSummary:
    """What the core may read off a framework's own response object."""

    status: int
    body: bytes
    content_type: str | None


class BodySource(Protocol):
    """How the core reads a request body through an integration.

    ``limit`` is the most the core will accept; a source reads at most
    ``limit + 1`` bytes so that an oversized body is detected without
    buffering all of it.
    """

    def read(self, limit: int) -> bytes: ...

    async def aread(self, limit: int) -> bytes: ...


class _Unloaded:
    def __repr__(self) -> str:
        return "UNLOADED"


#: Marks a request attribute the pipeline has not loaded yet.
UNLOADED: Any = _Unloaded()

UserLoader = Callable[[], Any]
AsyncUserLoader = Callable[[], Awaitable[Any]]


class AjaxRequest:
    """What a handler sees of a request, whatever framework served it.

    Attributes:
        method: upper-case HTTP method.
        path: the full request path (used as the problem ``instance``).
        route: the path below the ajaxkit mount, without a leading slash.
        headers: case-insensitive request headers.
        query: the query string as a :class:`MultiDict`.
        native: the framework's own request object.
        path_params: values captured from the endpoint's route pattern,
            plus any the integration captured before the mount (the URL
            kwargs of a wrapped Django view).
        data: the parsed body (a dict, list, :class:`MultiDict` or ``None``),
            available once the pipeline has read it.
        files: uploaded files of a multipart body.
        state: free space for pipeline steps and handlers.
    """

    __slots__ = (
        "_auser_loader",
        "_body",
        "_body_source",
        "_user",
        "_user_loader",
        "data",
        "files",
        "headers",
        "method",
        "native",
        "path",
        "path_params",
        "query",
        "route",
        "state",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        route: str,
        headers: Headers,
        query: MultiDict,
        native: Any = None,
        body: BodySource | bytes = b"",
        user: Any = UNLOADED,
        user_loader: UserLoader | None = None,
        auser_loader: AsyncUserLoader | None = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.route = route
        self.headers = headers
        self.query = query
        self.native = native
        self._body_source = body
        self._body: bytes | None = body if isinstance(body, bytes) else None
        self._user = user
        self._user_loader = user_loader
        self._auser_loader = auser_loader
        self.path_params: dict[str, Any] = {}
        self.data: Any = None
        self.files: dict[str, list[UploadedFile]] = {}
        self.state: dict[str, Any] = {}

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-case and without parameters."""
        raw = self.headers.get("content-type", "")
        return raw.partition(";")[0].strip().lower()

    @property
    def user(self) -> Any:
        """The authenticated user, or ``None`` for anonymous requests.

        Loaded on first use; in async code the pipeline loads it before the
        handler runs when the endpoint needs it (``login_required`` or a
        ``permission``), so reading it never blocks the event loop there.
        """
        if self._user is UNLOADED:
            self._user = self._user_loader() if self._user_loader else None
        return self._user

    @user.setter
    def user(self, value: Any) -> None:
        self._user = value

    @property
    def user_loaded(self) -> bool:
        return self._user is not UNLOADED

    async def aload_user(self, run_in_thread: Callable[..., Awaitable[Any]] | None = None) -> Any:
        """Load the user without blocking the event loop.

        A sync loader runs through ``run_in_thread`` when one is given (it
        may query a database); an async loader is awaited.
        """
        if self._user is UNLOADED:
            if self._auser_loader is not None:
                self._user = await self._auser_loader()
            elif self._user_loader is not None and run_in_thread is not None:
                self._user = await run_in_thread(self._user_loader)
            else:
                self._user = self._user_loader() if self._user_loader else None
        return self._user

    def use_user_loader(self, loader: UserLoader) -> None:
        """Load the user with ``loader`` instead of the framework's way."""
        self._user = UNLOADED
        self._user_loader = loader
        self._auser_loader = None

    @property
    def body(self) -> bytes:
        """The raw body, once the pipeline has read it (``b""`` before)."""
        return self._body or b""

    def read_body(self, limit: int) -> bytes:
        """Read the body through the integration, at most ``limit + 1`` bytes."""
        if self._body is None:
            assert not isinstance(self._body_source, bytes)
            self._body = self._body_source.read(limit)
        return self._body

    async def aread_body(self, limit: int) -> bytes:
        if self._body is None:
            assert not isinstance(self._body_source, bytes)
            self._body = await self._body_source.aread(limit)
        return self._body

    def __repr__(self) -> str:
        return f"<AjaxRequest {self.method} {self.path}>"


@dataclass
class AjaxResponse:
    """A response the integration turns into its native response.

    ``body`` is the encoded bytes; ``native`` is set instead when a handler
    returned the framework's own response object, which passes through
    untouched.  ``stream`` is an iterator (sync or async) of byte chunks for
    streamed responses such as Server-Sent Events.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    native: Any = None
    stream: Any = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")
