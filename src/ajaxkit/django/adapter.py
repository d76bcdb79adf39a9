"""Translation only: Django ``HttpRequest`` → :class:`AjaxRequest`, and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from ajaxkit.types import EMPTY_QUERY, AjaxRequest, AjaxResponse, LazyHeaders, MultiDict

__all__ = ["DjangoBody", "to_ajax_request", "to_django_response"]


class DjangoBody:
    """A :class:`~ajaxkit.types.BodySource` over a Django request.

    It reads ``request.body``, which Django caches, so ``request.POST`` and
    ``request.body`` stay usable in wrapped views.  The core has checked
    ``Content-Length`` against its limit before calling :meth:`read`;
    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` also applies (its
    ``RequestDataTooBig`` becomes a 413).
    """

    __slots__ = ("_request",)

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def read(self, limit: int) -> bytes:
        return self._request.body

    async def aread(self, limit: int) -> bytes:
        # Under ASGI, Django has spooled the whole body before the view runs,
        # so reading it here does no network I/O.
        return self._request.body


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


def _query(request: HttpRequest) -> MultiDict:
    if not request.META.get("QUERY_STRING"):
        return EMPTY_QUERY
    return MultiDict((key, value) for key, values in request.GET.lists() for value in values)


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
        # META key, which cost ajaxkit ~20 µs a request even when unread.
        headers=LazyHeaders(lambda: _meta_headers(request.META)),
        query=_query(request),
        native=request,
        body=DjangoBody(request),
        user_loader=lambda: _load_user(request),
        auser_loader=lambda: _aload_user(request),
        scheme=request.scheme or "http",
        # Django's host (ALLOWED_HOSTS, USE_X_FORWARDED_HOST), as its own CSRF
        # check sees it; only computed when an Origin must be compared.
        host=request.get_host,
    )
    if path_params:
        ajax_request.path_params = dict(path_params)
    return ajax_request


def to_django_response(response: AjaxResponse, request: HttpRequest) -> HttpResponseBase:
    """The Django response for ``response`` (a native one passes through)."""
    if response.native is not None:
        native: HttpResponseBase = response.native
        return native
    django_response: HttpResponseBase
    if response.stream is not None:
        # Django serves an async iterator under ASGI and a sync one under
        # WSGI; given the other kind it would buffer the whole stream.
        chunks = (
            aiter(response.stream) if isinstance(request, ASGIRequest) else iter(response.stream)
        )
        django_response = StreamingHttpResponse(chunks, status=response.status)
    else:
        django_response = HttpResponse(response.body, status=response.status)
    # Django adds text/html by default; a response without a body type
    # (204, OPTIONS) must not claim one.
    del django_response["Content-Type"]
    for name in response.headers:
        # Django keeps one value per header: repeated ones are joined, as
        # RFC 9110 allows for list-valued fields.
        django_response[name] = ", ".join(response.headers.getlist(name))
    for cookie in response.cookies:
        django_response.set_cookie(
            cookie.name,
            cookie.value,
            max_age=cookie.max_age,
            # Django derives Expires from max_age and refuses both at once.
            expires=cookie.expires if cookie.max_age is None else None,
            path=cookie.path or "/",
            domain=cookie.domain,
            secure=cookie.secure,
            httponly=cookie.httponly,
            samesite=cookie.samesite,
        )
    return django_response
