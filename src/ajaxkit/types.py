"""Framework-neutral request and response values (stdlib only).

Integrations translate their native request into an :class:`AjaxRequest` and
an :class:`AjaxResponse` back into a native response; everything between is
the core's business and never sees a framework object except as the opaque
``native`` attribute.
"""

from __future__ import annotations

import re
from collections.abc import (
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Any, Literal, Protocol, TypeVar, overload

_T = TypeVar("_T")

__all__ = [
    "EMPTY_QUERY",
    "UNLOADED",
    "AjaxRequest",
    "AjaxResponse",
    "BodySource",
    "Cookie",
    "DeferredHeaders",
    "HeaderLookup",
    "Headers",
    "LazyHeaders",
    "MultiDict",
    "NativeSummary",
    "ResponseHeaders",
    "UploadedFile",
    "parse_cookie_header",
]


class MultiDict(Mapping[str, str]):
    """An immutable mapping where a key may repeat (query strings, forms).

    ``d[key]`` and ``d.get(key)`` give the last value, as Django and
    Starlette do; ``d.getlist(key)`` gives all of them in order, and
    ``d.getlist_any(keys)`` those of several keys in the order given.

    Attributes:
        repeated: the keys given more than once, in the order first given
            (empty when none is).
    """

    __slots__ = ("_lists", "_pairs", "repeated")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        pairs = tuple(items)
        lists: dict[str, list[str]] = {}
        for key, value in pairs:
            lists.setdefault(key, []).append(value)
        self._lists = lists
        self._pairs = pairs  # the order across keys, which _lists loses
        # Asked of every query and form a handler binds: worked out here,
        # where it is one length comparison, so that asking costs nothing.
        self.repeated: tuple[str, ...] = (
            () if len(pairs) == len(lists) else tuple(k for k, v in lists.items() if len(v) > 1)
        )

    def __getitem__(self, key: str) -> str:
        return self._lists[key][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def getlist(self, key: str) -> list[str]:
        """All values for ``key``, oldest first; empty when absent."""
        return list(self._lists.get(key, ()))

    def getlist_any(self, keys: Collection[str]) -> list[str]:
        """All values of any of ``keys``, in the order they were given.

        ``ids`` and ``ids[]`` name one list (rule B4): ``?ids[]=1&ids=2``
        is ``["1", "2"]``, where two :meth:`getlist` calls would put one
        name's values before the other's.
        """
        return [value for key, value in self._pairs if key in keys]

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
        self._map = _merged({}, items)

    def overridden(self, items: Collection[tuple[str, str]]) -> Headers:
        """These headers with ``items``, which replace a name already here
        (a name repeated in ``items`` is joined as the constructor joins).

        As a ``fetch()``'s own header replaces the one the browser would
        send.  Without ``items`` it is these very headers: they are
        immutable, so requests derived from one (batch items) share them
        rather than copy.
        """
        if not items:
            return self
        overridden = Headers()
        overridden._map = {**self._map, **_merged({}, items)}
        return overridden

    def __getitem__(self, key: str) -> str:
        return self._map[key.lower()]

    @overload
    def get(self, key: str, /) -> str | None: ...

    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...

    def get(self, key: str, /, default: Any = None) -> Any:
        # Mapping.get would go through a KeyError for every absent header.
        return self._map.get(key.lower(), default)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of several headers at once, each as :meth:`get` answers it.

        A check that reads a handful of headers (the CSRF step's token
        fallback) asks once: an integration reading straight from the
        framework's structure pays its per-call costs once, not per header.
        """
        found = self._map
        return [found.get(key.lower()) for key in keys]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"Headers({self._map!r})"


def _merged(merged: dict[str, str], items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``merged`` with ``items`` added under lower-case names, repeats joined with ``", "``."""
    for key, value in items:
        name = key.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


#: ``lookup(lower_case_name) -> value or None``: one header, read straight
#: from the framework's own structure.
HeaderLookup = Callable[[str], "str | None"]


class DeferredHeaders(Headers):
    """:class:`Headers` whose mapping is made only when first needed, from
    :meth:`_pairs`; subclasses answer single lookups their own way first.

    The mapping is a property, not a ``__getattr__`` fallback: a class with
    ``__getattr__`` keeps CPython from specialising method calls on its
    instances, and every ``headers.get(...)`` then made a bound method
    (~800 instructions a header read).
    """

    __slots__ = ("_built",)

    def __init__(self) -> None:
        self._built: dict[str, str] | None = None

    @property
    def _map(self) -> dict[str, str]:
        built = self._built
        if built is None:
            built = self._built = _merged({}, self._pairs())
        return built

    @_map.setter
    def _map(self, value: dict[str, str]) -> None:
        self._built = value

    @property
    def built(self) -> bool:
        """Whether the whole mapping has been made (a read asked for it)."""
        return self._built is not None

    def _pairs(self) -> Iterable[tuple[str, str]]:
        """Every header as a ``(name, value)`` pair, for the mapping."""
        raise NotImplementedError


class LazyHeaders(DeferredHeaders):
    """:class:`Headers` built on first use from ``factory()``.

    Integrations pass one so that a request whose handler never looks at a
    header never pays for decoding them (a dozen browser headers cost more
    than the rest of the request translation).  With ``lookup``, reading
    one header by name (``Content-Length``, ``Content-Type``) asks the
    framework's own structure for just that header, so most requests never
    build the whole mapping; ``lookup`` must answer what the mapping would
    (repeated headers joined with ``", "``).
    """

    __slots__ = ("_factory", "_lookup")

    def __init__(
        self,
        factory: Callable[[], Iterable[tuple[str, str]]],
        lookup: HeaderLookup | None = None,
    ) -> None:
        self._built = None  # the mapping, made from factory() on first use
        self._factory = factory
        self._lookup = lookup

    def _pairs(self) -> Iterable[tuple[str, str]]:
        return self._factory()

    def __getitem__(self, key: str) -> str:
        if self._lookup is None:
            return self._map[key.lower()]
        value = self._lookup(key.lower())
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        if self._lookup is None:
            return self._map.get(key.lower(), default)
        value = self._lookup(key.lower())
        return default if value is None else value

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        lookup = self._lookup
        if lookup is None:
            return super().get_many(keys)
        return [lookup(key.lower()) for key in keys]

    def __contains__(self, key: object) -> bool:
        if self._lookup is None or not isinstance(key, str):
            return isinstance(key, str) and key.lower() in self._map
        return self._lookup(key.lower()) is not None


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
    """What the core may read off a framework's own response object.

    ``headers`` are every header field as the framework would write it: a
    repeated name once a value, in order, and each cookie it sets as a
    ``Set-Cookie`` field.  ``streamed``: the body is sent as it is made
    (a streaming or file response), so ``body`` is empty, never read.
    """

    status: int
    body: bytes
    content_type: str | None
    headers: tuple[tuple[str, str], ...] = ()
    streamed: bool = False


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
        scheme: ``"http"`` or ``"https"``, as the framework sees it (behind
            a proxy, once the framework's proxy settings applied).

    ``host`` (a value, or a function computing it on first use) is the host
    the framework validated (Django's ``get_host()``); without it, the
    ``Host`` header.
        client: the peer's address as the server saw it (``None`` when
            unknown); see :func:`ajaxkit.core.identity.client_address`
            for the client behind trusted proxies.
    """

    __slots__ = (
        "_auser_loader",
        "_body",
        "_body_source",
        "_cookies",
        "_host",
        "_native",
        "_native_factory",
        "_user",
        "_user_loader",
        "client",
        "data",
        "files",
        "headers",
        "method",
        "path",
        "path_params",
        "query",
        "route",
        "scheme",
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
        client: str | None = None,
        native_factory: Callable[[AjaxRequest], Any] | None = None,
        scheme: str = "http",
        host: str | Callable[[], str] | None = None,
    ) -> None:
        self.method = method.upper()
        self.scheme = scheme
        self._host = host
        self.client = client
        self.path = path
        self.route = route
        self.headers = headers
        self.query = query
        self._native = native
        self._native_factory = native_factory
        self._body_source = body
        self._body: bytes | None = body if isinstance(body, bytes) else None
        self._user = user
        self._user_loader = user_loader
        self._auser_loader = auser_loader
        self.path_params: dict[str, Any] = {}
        self.data: Any = None
        self.files: dict[str, list[UploadedFile]] = {}
        self.state: dict[str, Any] = {}
        self._cookies: dict[str, str] | None = None

    @property
    def native(self) -> Any:
        """The framework's own request object.

        An integration may pass ``native_factory`` instead of ``native``: the
        object is then built when first asked for, so a request that never
        needs it never pays for it.  The factory is called with this request
        (what the core learned of it, its path parameters, say): one that
        captured the request instead would make every request a reference
        cycle, freed only by the garbage collector.
        """
        if self._native is None and self._native_factory is not None:
            self._native = self._native_factory(self)
        return self._native

    @native.setter
    def native(self, value: Any) -> None:
        self._native = value

    @property
    def cookies(self) -> Mapping[str, str]:
        """The request's cookies by name, parsed from ``Cookie`` on first use."""
        if self._cookies is None:
            self._cookies = parse_cookie_header(self.headers.get("cookie", ""))
        return self._cookies

    @property
    def origin(self) -> str:
        """This request's own origin, ``scheme://host[:port]``."""
        host = self._host
        if callable(host):
            host = self._host = host()
        if host is None:
            host = self.headers.get("host", "")
        return f"{self.scheme}://{host}"

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-case and without parameters."""
        raw: str = self.headers.get("content-type", "")
        return raw.partition(";")[0].strip().lower()

    @property
    def user(self) -> Any:
        """The authenticated user, or ``None`` for anonymous requests.

        Loaded on first use; in async code the pipeline loads it before the
        handler runs when the endpoint needs it (``login_required`` or a
        ``permission``), so reading it never blocks the event loop there.
        Loaded means loaded: a lazy proxy from the framework is read at once
        (also under WSGI, whose async handlers run on an event loop too).
        """
        if self._user is UNLOADED:
            self._user = self._load_user()
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
                self._user = await run_in_thread(self._load_user)
            else:
                self._user = self._load_user()
        return self._user

    def _load_user(self) -> Any:
        """The sync loader's user, really loaded."""
        user = self._user_loader() if self._user_loader else None
        # A framework may hand over a lazy proxy (Django's ``request.user``)
        # whose first attribute read loads the session and the user from the
        # database.  Read it here, where loading is meant to happen (the sync
        # driver, or a worker thread), not in whatever code reads it next: a
        # handler's event loop, even under WSGI, where Django refuses
        # database access and anything else would block the loop.
        if user is not None:
            getattr(user, "is_authenticated", None)
        return user

    def derive(
        self,
        *,
        method: str,
        path: str,
        route: str,
        query: MultiDict,
        headers: Headers,
        body: bytes,
    ) -> AjaxRequest:
        """A request made on behalf of this one (a batch item).

        It shares this request's user (loaded or not), loaders, cookies,
        peer address and native request; everything else is its own.
        """
        child = AjaxRequest(
            method=method,
            path=path,
            route=route,
            headers=headers,
            query=query,
            native=self.native,
            body=body,
            user=self._user,
            user_loader=self._user_loader,
            auser_loader=self._auser_loader,
            client=self.client,  # the same caller: rate limits count it as one
        )
        child._cookies = dict(self.cookies)
        return child

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


class ResponseHeaders(MutableMapping[str, str]):
    """Response headers: case-insensitive, and a name may repeat.

    ``headers["X"] = v`` replaces every ``X``; :meth:`add` appends another
    (``Link``, ``Vary``); :meth:`multi_items` gives every pair in order, as
    integrations write them.  ``Set-Cookie`` is not kept here: cookies are
    :class:`Cookie` values on the response, so that each framework writes
    them its own way.
    """

    # _names[i] is _items[i]'s name lower-cased, kept beside the pairs: every
    # response is asked for names it may not have (hygiene, twice), and
    # lower-casing each name on every question cost more than keeping them.
    # None after extend() until a name is next asked for: the pipeline adds
    # the policy steps' fields (a rate limit's two) after its last question.
    __slots__ = ("_items", "_names")

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        # The exact-type test first: an ABC isinstance check costs more than
        # the copy, and almost every response passes a plain dict.
        if type(items) is dict or isinstance(items, Mapping):
            pairs: Iterable[tuple[str, str]] = items.items()
        else:
            pairs = items or ()
        self._items: list[tuple[str, str]] = [(k, v) for k, v in pairs]
        self._names: list[str] | None = [k.lower() for k, _ in self._items]

    def _lowered(self) -> list[str]:
        """The names lower-cased, index for index with the pairs."""
        names = self._names
        if names is None:
            names = self._names = [k.lower() for k, _ in self._items]
        return names

    def __getitem__(self, key: str) -> str:
        try:
            return self._items[(self._names or self._lowered()).index(key.lower())][1]
        except ValueError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: str) -> None:
        lower = key.lower()
        names = self._names or self._lowered()
        if lower in names:
            self._remove(lower)
            names = self._lowered()
        self._items.append((key, value))
        names.append(lower)

    def __delitem__(self, key: str) -> None:
        lower = key.lower()
        if lower not in (self._names or self._lowered()):
            raise KeyError(key)
        self._remove(lower)

    def _remove(self, lower: str) -> None:
        names = self._lowered()
        kept = [i for i, name in enumerate(names) if name != lower]
        self._items = [self._items[i] for i in kept]
        self._names = [names[i] for i in kept]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in (self._names or self._lowered())

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for (name, _), lower in zip(self._items, self._lowered(), strict=True):
            if lower not in seen:
                seen.add(lower)
                yield name

    def __len__(self) -> int:
        return len(set(self._lowered()))

    def add(self, key: str, value: str) -> None:
        """Append a value for ``key``, keeping those already there."""
        names = self._lowered()
        self._items.append((key, value))
        names.append(key.lower())

    def extend(self, pairs: Iterable[tuple[str, str]]) -> None:
        """:meth:`add` each ``(name, value)`` of ``pairs``, in order."""
        # A tuple is kept as given, not unpacked and made again; any other
        # pair (a list) is made one, as the constructor makes them, since
        # integrations look pairs up (Starlette's encoded-pair memory).
        items = self._items
        for pair in pairs:
            items.append(pair if type(pair) is tuple else (pair[0], pair[1]))
        self._names = None

    def extend_fields(self, fields: list[tuple[str, str]]) -> None:
        """Append ``fields``, each a ``(name, value)`` tuple, in one step.

        How the pipeline adds what the policy steps asked every answer to
        carry (a rate limit's two fields, on every response of a limited
        endpoint): :meth:`extend` takes any pairs and looks at each, which
        cost such a response ~800 instructions more.
        """
        self._items += fields
        self._names = None

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``, in order."""
        lower = key.lower()
        return [v for (_, v), n in zip(self._items, self._lowered(), strict=True) if n == lower]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, repeated names included, in order."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"ResponseHeaders({self._items!r})"


SameSite = Literal["Lax", "Strict", "None"]


@dataclass(frozen=True)
class Cookie:
    """A cookie to set (or, with :meth:`deletion`, to delete) on the client.

    Attributes mirror the ``Set-Cookie`` attributes (RFC 6265bis); the
    defaults are the safe ones a framework would pick for an app cookie:
    ``Path=/`` and ``SameSite=Lax``.

    ``value`` is ASCII text: one with spaces, commas, quotes or other
    punctuation is quoted and escaped as the standard library does, and
    reads back as it was set.  Text past ASCII is refused
    (:class:`ValueError`): no escaping of it reads back alike on every
    framework, so encode it first (``urllib.parse.quote``).  ``path=None``
    (or ``""``) sends no ``Path``: the browser then keeps the cookie for the
    directory of the request's path (RFC 6265bis, default-path).
    """

    name: str
    value: str = ""
    max_age: int | None = None
    expires: datetime | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: SameSite | None = "Lax"

    def __post_init__(self) -> None:
        # Refused where it is set (in the handler: a logged 500 problem), the
        # same on every framework; left to the response, some frameworks fail
        # while writing headers and the reference wire sends a broken header.
        if isinstance(self.value, str) and not self.value.isascii():
            # Not the value itself: a cookie may hold a secret, and this is logged.
            raise ValueError(
                f"Cannot set the cookie {self.name!r}: its value is not ASCII, and no "
                "framework's escaping of such text reads back the same everywhere "
                "(nor in a page's document.cookie). Encode it, for instance with "
                "urllib.parse.quote(value), and decode what you read with unquote "
                "(decodeURIComponent in the page)."
            )
        morsel: Morsel[str] = Morsel()
        try:
            morsel.set(self.name, self.value, _cookie_quote(self.value))
        except CookieError as exc:
            raise ValueError(
                f"Cannot set the cookie {self.name!r}: a cookie name is a token (letters, "
                "digits and !#$%&'*+-.^_`|~), and not a Set-Cookie attribute name."
            ) from exc
        self._check_attributes()

    def _check_attributes(self) -> None:
        """Refuse attributes no ``Set-Cookie`` line can carry; spell the rest one way.

        A ``path`` or ``domain`` is written into the line as it is by some
        frameworks (a line break there is another header, a ``;`` another
        attribute) and escaped by others; a ``max_age`` that is no whole
        number, or an unknown ``samesite``, failed one framework and went
        out from another.  A naive ``expires`` is UTC, as Django and Flask
        read it (the standard library would take it for local time).
        """
        if self.path == "":
            # Sent as "Path=" by one framework and left out by the others; a
            # browser reads an empty Path as none at all.
            object.__setattr__(self, "path", None)
        for attribute in ("path", "domain"):
            text = getattr(self, attribute)
            if text is not None and not _ATTRIBUTE_TEXT.fullmatch(text):
                raise ValueError(
                    f"Cannot set the cookie {self.name!r}: its {attribute} {text!r} is not "
                    "printable ASCII without ';', which is all a Set-Cookie attribute holds."
                )
        if self.max_age is not None and type(self.max_age) is not int:
            raise ValueError(
                f"Cannot set the cookie {self.name!r}: max_age is a whole number of "
                f"seconds, not {self.max_age!r}."
            )
        if self.samesite:  # Django's CSRF_COOKIE_SAMESITE = False sends none too
            spelt = _SAMESITE.get(str(self.samesite).lower())
            if spelt is None:
                raise ValueError(
                    f"Cannot set the cookie {self.name!r}: samesite is 'Lax', 'Strict' or "
                    f"'None', not {self.samesite!r}."
                )
            object.__setattr__(self, "samesite", spelt)
        if self.expires is not None and self.expires.tzinfo is None:
            object.__setattr__(self, "expires", self.expires.replace(tzinfo=timezone.utc))
        self._check_prefix()
        self._check_samesite_none()

    def _check_prefix(self) -> None:
        """Refuse a prefixed cookie every browser would drop without a word.

        RFC 6265bis (cookie prefixes): a ``__Secure-`` or ``__Host-`` name
        is kept only with ``Secure``, and a ``__Host-`` one only on ``Path=/``
        without ``Domain``.  (A deletion is made ``Secure`` for them.)
        """
        name = self.name.lower()
        if not name.startswith(_SECURE_PREFIXES):
            return
        wrong = [] if self.secure else ["secure=True"]
        if name.startswith("__host-"):
            if self.path != "/":
                wrong.append("path='/'")
            if self.domain is not None:
                wrong.append("no domain")
        if wrong:
            raise ValueError(
                f"Cannot set the cookie {self.name!r}: browsers drop a cookie of that "
                f"prefix unless it has {', '.join(wrong)} (RFC 6265bis, cookie prefixes)."
            )

    def _check_samesite_none(self) -> None:
        """Refuse ``SameSite=None`` without ``Secure``, which every current browser drops.

        RFC 6265bis ("SameSite=None" requires "Secure"): the browser keeps
        no such cookie and says nothing, so a login or CSRF cookie meant for
        cross-site requests never arrived at all.
        """
        if self.samesite == "None" and not self.secure:
            raise ValueError(
                f"Cannot set the cookie {self.name!r}: browsers drop a cookie with "
                "SameSite=None unless it is Secure; set secure=True (and serve the "
                "site over HTTPS), or samesite='Lax' if it need not reach other sites."
            )

    @classmethod
    def deletion(cls, name: str, *, path: str | None = "/", domain: str | None = None) -> Cookie:
        """The cookie that makes a browser forget ``name`` (empty, expired).

        A ``__Secure-`` or ``__Host-`` cookie is forgotten only through a
        ``Secure`` one (RFC 6265bis, cookie prefixes): a browser drops any
        other, and the cookie stays.
        """
        secure = name.lower().startswith(_SECURE_PREFIXES)
        return cls(name, "", 0, _EPOCH, path=path, domain=domain, secure=secure, samesite=None)

    def header_value(self) -> str:
        """The ``Set-Cookie`` value, formatted by the standard library."""
        morsel: Morsel[str] = Morsel()
        morsel.set(self.name, self.value, _cookie_quote(self.value))
        if self.max_age is not None:
            morsel["max-age"] = str(self.max_age)
        if self.expires is not None:
            morsel["expires"] = format_datetime(self.expires.astimezone(timezone.utc), usegmt=True)
        if self.path is not None:
            morsel["path"] = self.path
        if self.domain is not None:
            morsel["domain"] = self.domain
        if self.secure:
            morsel["secure"] = True
        if self.httponly:
            morsel["httponly"] = True
        if self.samesite is not None:
            morsel["samesite"] = self.samesite
        return morsel.OutputString()


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Names a browser keeps only with ``Secure`` (matched case-insensitively).
_SECURE_PREFIXES = ("__secure-", "__host-")
#: RFC 6265 section 4.1.1: an attribute's value is any printable character
#: but ";" (ASCII: no framework writes other text the same way).
_ATTRIBUTE_TEXT = re.compile(r"[\x20-\x3a\x3c-\x7e]*")
#: The one spelling of each SameSite value, by its lower-case form.
_SAMESITE: dict[str, SameSite] = {"lax": "Lax", "strict": "Strict", "none": "None"}


def _cookie_quote(value: str) -> str:
    # SimpleCookie's quoting, so values with spaces or commas survive.
    return SimpleCookie().value_encode(value)[1]


def parse_cookie_header(header: str) -> dict[str, str]:
    """Cookies sent in a ``Cookie`` header, read leniently (as Django reads them).

    Browsers send ``name=value; name2=value2``; a malformed pair is skipped
    rather than failing the request, and the last of a repeated name wins.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _unquote_cookie(value)
        cookies[name] = value
    return cookies


#: A value that is one RFC 2109 quoted string, as ``SimpleCookie`` matches one.
_QUOTED_COOKIE = re.compile(r'"((?:[^\\"]|\\.)*)"')
#: An escape in it: three octal digits, else any one character.
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _unquote_cookie(value: str) -> str:
    """A quoted cookie value unquoted as ``SimpleCookie`` unquotes it; another
    value (not one quoted string) as sent.

    Not ``SimpleCookie`` itself: before Python 3.11.10 and 3.12.6 it takes
    time quadratic in a value's backslashes (CVE-2024-7592), and one 400 kB
    ``Cookie`` header, which uvicorn accepts, held an async server's event
    loop for five minutes.  This is one regular expression pass.
    """
    match = _QUOTED_COOKIE.fullmatch(value)
    if match is None:
        return value
    inner = match.group(1)
    if "\\" not in inner:
        return inner
    return _COOKIE_ESCAPE.sub(_unescape_cookie, inner)


def _unescape_cookie(escape: re.Match[str]) -> str:
    octal = escape.group(1)
    return chr(int(octal, 8)) if octal else escape.group(2)


class AjaxResponse:
    """A response the integration turns into its native response.

    Attributes:
        status: the HTTP status.
        body: the encoded bytes.
        headers: :class:`ResponseHeaders` (a name may repeat).
        cookies: :class:`Cookie` values to set, in order.
        native: set instead of ``body`` when a handler returned the
            framework's own response object, which passes through untouched.
        stream: a :class:`~ajaxkit.core.streams.Stream` for a streamed body.
    """

    __slots__ = ("body", "cookies", "headers", "native", "status", "stream")

    def __init__(  # noqa: PLR0917 - status, body, headers read naturally by position
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        native: Any = None,
        stream: Any = None,
        cookies: Iterable[Cookie] = (),
    ) -> None:
        self.status = status
        self.body = body
        # Exact-type tests first: an ABC isinstance check is slow, and nearly
        # every response is built from a plain dict.
        if type(headers) is dict or headers is None:
            self.headers = ResponseHeaders(headers)
        elif isinstance(headers, ResponseHeaders):
            self.headers = headers
        else:
            self.headers = ResponseHeaders(headers)
        self.native = native
        self.stream = stream
        self.cookies: list[Cookie] = list(cookies)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        expires: datetime | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = "Lax",
    ) -> None:
        """Set a cookie on the client (a later one of the same name replaces it)."""
        cookie = Cookie(name, value, max_age, expires, path, domain, secure, httponly, samesite)
        self._put_cookie(cookie)

    def delete_cookie(
        self, name: str, *, path: str | None = "/", domain: str | None = None
    ) -> None:
        """Make the client forget the cookie ``name`` (same ``path``/``domain`` as set)."""
        self._put_cookie(Cookie.deletion(name, path=path, domain=domain))

    def _put_cookie(self, cookie: Cookie) -> None:
        key = (cookie.name, cookie.path, cookie.domain)
        self.cookies = [c for c in self.cookies if (c.name, c.path, c.domain) != key]
        self.cookies.append(cookie)

    def __repr__(self) -> str:
        return f"<AjaxResponse {self.status} {self.body[:60]!r}>"
