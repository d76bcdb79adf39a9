"""Translation only: Django ``HttpRequest`` → :class:`AjaxRequest`, and back."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from http.cookies import CookieError, Morsel
from typing import Any

from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from ajaxkit.core.querystring import parse_query
from ajaxkit.types import AjaxRequest, AjaxResponse, Cookie, LazyHeaders, MultiDict

__all__ = ["DjangoBody", "to_ajax_request", "to_django_response"]


class DjangoBody:
    """A :class:`~ajaxkit.types.BodySource` over a Django request.

    Under the mount ajaxkit's ``max_body_size`` governs, not Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``: the body is read from Django's stream,
    at most ``limit + 1`` bytes, so an oversized one (even chunked, without
    ``Content-Length``) is refused without being buffered.  A body within
    the limit is handed back to Django as its cached ``request.body``, so
    ``request.POST``, ``request.FILES`` and ``request.body`` stay usable in
    wrapped views.
    """

    __slots__ = ("_request",)

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def read(self, limit: int) -> bytes:
        request = self._request
        cached: bytes | None = getattr(request, "_body", None)
        if cached is not None:  # middleware (or the CSRF check) read it already
            return cached[: limit + 1]
        data = _read_at_most(request, limit + 1)
        if len(data) <= limit:
            # Where Django keeps request.body once read; POST/FILES parse it.
            request._body = data
        return data

    async def aread(self, limit: int) -> bytes:
        # Under ASGI, Django has spooled the whole body before the view runs,
        # so reading it here does no network I/O.
        return self.read(limit)


def _read_at_most(request: HttpRequest, size: int) -> bytes:
    # A stream may return fewer bytes than asked for before the body ends.
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = request.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _load_user(request: HttpRequest) -> Any:
    # Without AuthenticationMiddleware there is no user: anonymous.
    return getattr(request, "user", None)


async def _aload_user(request: HttpRequest) -> Any:
    auser = getattr(request, "auser", None)
    return await auser() if auser is not None else None


def _meta_headers(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = [(k[5:].replace("_", "-"), v) for k, v in meta.items() if k.startswith("HTTP_")]
    pairs += [(k.replace("_", "-"), meta[k]) for k in _UNPREFIXED if meta.get(k)]
    return pairs


# The two headers WSGI and Django's ASGI handler keep without the HTTP_ prefix.
_UNPREFIXED = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _meta_header(meta: Mapping[str, Any], name: str) -> str | None:
    """One header straight from META: what :func:`_meta_headers` would map ``name`` to."""
    if "_" in name:  # META's underscores all read as dashes
        return None
    key = name.upper().replace("-", "_")
    found = [meta["HTTP_" + key]] if "HTTP_" + key in meta else []
    if key in _UNPREFIXED and meta.get(key):
        found.append(meta[key])
    return ", ".join(found) if found else None


def _wsgi_text(value: str) -> str:
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a server that decoded it already
        return value


def _query(request: HttpRequest) -> MultiDict:
    query: str = request.META.get("QUERY_STRING", "")
    if not isinstance(request, ASGIRequest) and not query.isascii():
        # WSGI hands over the raw bytes as Latin-1 (PEP 3333); Django's ASGI
        # handler has decoded them as UTF-8 already.
        query = _wsgi_text(query)
    # Parsed as the other integrations parse it, not through request.GET:
    # Django raises TooManyFieldsSent there (over 1,000 fields) while the
    # request is being translated, before the pipeline could answer it.
    return parse_query(query)


def to_ajax_request(
    request: HttpRequest, route: str, path_params: Mapping[str, Any] | None = None
) -> AjaxRequest:
    """The :class:`AjaxRequest` for ``request``; nothing is read or loaded yet.

    Args:
        request: Django's request.
        route: the path below the ajaxkit mount.
        path_params: values Django captured from the URL (wrapped views).
    """
    ajax_request = AjaxRequest(
        method=request.method or "GET",
        path=request.path,
        route=route,
        # Built from META on first use: Django's request.headers parses every
        # META key, which cost ajaxkit ~20 µs a request even when unread; one
        # header by name (Content-Length, Content-Type) is one META lookup,
        # through a partial (a lambda calling the function was a frame more).
        headers=LazyHeaders(
            lambda: _meta_headers(request.META), functools.partial(_meta_header, request.META)
        ),
        query=_query(request),
        native=request,
        body=DjangoBody(request),
        user_loader=lambda: _load_user(request),
        auser_loader=lambda: _aload_user(request),
        scheme=request.scheme or "http",
        # Django's host (ALLOWED_HOSTS, USE_X_FORWARDED_HOST), as its own CSRF
        # check sees it; only computed when an Origin must be compared.
        host=request.get_host,
        client=request.META.get("REMOTE_ADDR") or None,
    )
    if path_params:
        ajax_request.path_params = dict(path_params)
    return ajax_request


def _joined_headers(response: AjaxResponse) -> tuple[dict[str, str], bool, list[Morsel[str]]]:
    """The headers as Django keeps them (one value per name: repeated ones are
    joined, as RFC 9110 allows for list-valued fields), whether there is a
    ``Content-Type``, and the ``Set-Cookie`` headers written by hand as
    cookies.  Given to the response's constructor, so that Django does not
    set its defaults only for them to be replaced."""
    joined: dict[str, str] = {}
    spelling: dict[str, str] = {}  # lower-case name -> the first spelling seen
    morsels: list[Morsel[str]] = []
    for name, value in response.headers.multi_items():
        key = name.lower()
        if key == "set-cookie" and (morsel := _morsel(value)) is not None:
            morsels.append(morsel)
        elif key in spelling:
            joined[spelling[key]] += ", " + value
        else:
            spelling[key] = name
            joined[name] = value
    return joined, "content-type" in spelling, morsels


def _morsel(header: str) -> Morsel[str] | None:
    """A ``Set-Cookie`` value written by hand, as Django's cookie jar holds it.

    RFC 9110 forbids joining ``Set-Cookie`` lines (a browser reads
    ``a=1; Path=/, b=2`` as one cookie), and Django sends one line per name
    only for its cookies: the value is kept exactly as written.  ``None``
    when it has no ``name=``, its name is no cookie name, or it is not ASCII
    (Django's ASGI handler encodes cookie lines as ASCII): left to the joined
    headers as before.
    """
    name, sep, rest = header.partition("=")
    if not sep or not header.isascii():
        return None
    morsel: Morsel[str] = Morsel()
    try:
        morsel.set(name.strip(), rest, rest)
    except CookieError:
        return None
    return morsel


class _ClosedByDjango:
    """A stream's async body, closed when Django closes the response.

    Django closes a streaming response's content by calling its ``close()``
    (from a worker thread, where ``response.close()`` runs) and never
    ``aclose()``s an async iterator.  Left early (the client went away while
    a chunk was sent), the handler's iterator stayed open, its ``finally``
    unrun, until the collector found it.
    """

    __slots__ = ("_body",)

    def __init__(self, stream: Any) -> None:
        self._body = aiter(stream)

    def __aiter__(self) -> Any:
        return self._body

    def close(self) -> None:
        # A body that ran to its end (or never had a frame) has nothing to close.
        if getattr(self._body, "ag_frame", None) is not None:
            async_to_sync(_aclose)(self._body)


async def _aclose(body: Any) -> None:
    await body.aclose()


def to_django_response(response: AjaxResponse, request: HttpRequest) -> HttpResponseBase:
    """The Django response for ``response`` (a native one passes through)."""
    if response.native is not None:
        native: HttpResponseBase = response.native
        return native
    headers, content_type, morsels = _joined_headers(response)
    django_response: HttpResponseBase
    if response.stream is not None:
        # Django serves an async iterator under ASGI and a sync one under
        # WSGI; given the other kind it would buffer the whole stream.
        chunks = (
            _ClosedByDjango(response.stream)
            if isinstance(request, ASGIRequest)
            else iter(response.stream)
        )
        django_response = StreamingHttpResponse(chunks, status=response.status, headers=headers)
    else:
        django_response = HttpResponse(response.body, status=response.status, headers=headers)
    if not content_type:
        # Django adds text/html by default; a response without a body type
        # (204, OPTIONS) must not claim one.
        del django_response["Content-Type"]
    if response.status >= 500:
        # ajaxkit logged this server error once, with its error id; Django's
        # django.request logger would log it a second time without one.
        django_response._has_been_logged = True  # type: ignore[union-attr]
    # Every cookie its own entry of Django's jar, in order: Django's handlers
    # send one Set-Cookie per entry, written from its morsel whatever its
    # key, but set_cookie keys by name and would merge a second cookie of
    # one name (the same cookie deleted on its old path) into the first,
    # its Max-Age=0 included.
    jar = django_response.cookies
    for cookie in response.cookies:
        _set_cookie(django_response, cookie)
        morsels.append(jar.pop(cookie.name))
    for morsel in morsels:
        # The first of a name keeps it, for middleware that looks it up.
        jar[_free_key(jar, morsel.key)] = morsel
    return django_response


def _free_key(jar: Mapping[str, object], name: str) -> str:
    """``name``, or a key no cookie name can be when a cookie has it already."""
    key, n = name, 1
    while key in jar:
        n += 1
        key = f"{name} {n}"
    return key


def _set_cookie(django_response: HttpResponseBase, cookie: Cookie) -> None:
    django_response.set_cookie(
        cookie.name,
        cookie.value,
        max_age=cookie.max_age,
        # Django derives Expires from max_age and refuses both at once.
        expires=cookie.expires if cookie.max_age is None else None,
        # None writes no Path (Django checks for None; its stubs say str).
        path=cookie.path,  # type: ignore[arg-type]
        domain=cookie.domain,
        secure=cookie.secure,
        httponly=cookie.httponly,
        samesite=cookie.samesite,
    )
