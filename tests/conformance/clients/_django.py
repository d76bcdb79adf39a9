"""What the Django sync and async conformance clients share."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, SuspiciousOperation, TooManyFieldsSent
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.test import Client as DjangoTestClient
from django.test.utils import override_settings
from django.urls import include, path

from ajaxkit import Ajax
from ajaxkit.django import urls
from ajaxkit.testing import Files, Params, Response, encode_body
from tests.conformance.app import Natives
from tests.conformance.clients.base import Client, with_query

_NATIVE_ERRORS: dict[str, type[Exception]] = {
    "not_found": Http404,
    "forbidden": PermissionDenied,
    "bad_request": SuspiciousOperation,
}


def _response(status: int, body: bytes, content_type: str, headers: list[tuple[str, str]]) -> Any:
    # A Django response holds one value a name: its users join a list field.
    joined: dict[str, str] = {}
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return HttpResponse(body, status=status, content_type=content_type, headers=joined)


def _raise(kind: str, detail: str | None) -> None:
    error = _NATIVE_ERRORS[kind]
    raise error() if detail is None else error(detail)


def _stream(chunks: Iterator[bytes], content_type: str) -> Any:
    return StreamingHttpResponse(chunks, content_type=content_type)


def _find_missing() -> Any:
    return get_object_or_404(get_user_model(), pk=-1)


NATIVES = Natives(
    response=_response, raise_exception=_raise, stream=_stream, find_missing=_find_missing
)


def csrf_token_view(request: HttpRequest) -> JsonResponse:
    """A real token; ``get_token`` also makes the middleware set the cookie."""
    return JsonResponse({"token": get_token(request)})


def to_response(response: Any, content: bytes) -> Response:
    """Our :class:`Response` for a Django test response and its body."""
    pairs = list(response.headers.items())
    # Django keeps cookies apart from its headers; they are sent as Set-Cookie.
    pairs += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
    return Response(response.status_code, pairs, content)


class DjangoClient(Client):
    """Requests through Django's test client against ``urlconf``."""

    marks = ("django",)
    refused_before_mount = (TooManyFieldsSent,)
    urlconf: ClassVar[str]
    #: Whether :func:`ajaxkit.django.urls` should serve with async views.
    asynchronous: ClassVar[bool] = False

    def __init__(
        self, apis: Mapping[str, Ajax] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        self.apis = apis
        config = dict(config or {})
        # Django reads its settings when the registries are mounted, and
        # again when they change: the configuration stays in force while
        # the client serves.
        with override_settings(**config):
            urlconf: str | ModuleType = self.urlconf if apis is None else self._urlconf(apis)
        self._routes = urlconf
        self._override: override_settings | None = override_settings(ROOT_URLCONF=urlconf, **config)
        self._override.enable()
        self._client = self._make_client(enforce_csrf_checks=False)

    def sibling(self) -> DjangoClient:
        # Settings overrides are process-wide: the sibling relies on this
        # client's, so it must not outlive it.
        other = type(self).__new__(type(self))
        other.apis = self.apis
        other._routes = self._routes
        other._override = None
        other._client = other._make_client(enforce_csrf_checks=False)
        return other

    def _urlconf(self, apis: Mapping[str, Ajax]) -> ModuleType:
        """A urlconf module (Django accepts a module object) mounting ``apis``."""
        module = ModuleType("ajaxkit_test_urls")
        module.urlpatterns = [  # type: ignore[attr-defined]
            path(f"{prefix.strip('/')}/", include(urls(api, asynchronous=self.asynchronous)))
            for prefix, api in apis.items()
        ]
        return module

    @abstractmethod
    def _make_client(self, *, enforce_csrf_checks: bool) -> DjangoTestClient | Any: ...

    @abstractmethod
    def _send(self, method: str, url: str, body: bytes, kwargs: dict[str, Any]) -> Response: ...

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
        body, content_type = encode_body(json=json, data=data, files=files)
        headers = self.with_defaults(headers)
        for name in [n for n in headers if n.lower() == "content-type"]:
            content_type = headers.pop(name)
        kwargs: dict[str, Any] = {"headers": headers}
        if content_type:
            kwargs["content_type"] = content_type
        body = content if content is not None else body
        with self._own_urlconf():
            return self._send(method, with_query(path, params), body, kwargs)

    def _own_urlconf(self) -> AbstractContextManager[object]:
        """This client's urlconf, should another Django client's be in force.

        Settings are process-wide, and the last client made enabled its own:
        a suite holding a sync and an async client at once (the differential
        one) must still reach each one's views.
        """
        if self._routes == settings.ROOT_URLCONF:
            return nullcontext()
        return override_settings(ROOT_URLCONF=self._routes)

    def login(self, username: str) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        self._client.force_login(user)

    def logout(self) -> None:
        self._client.logout()

    def enforce_csrf(self) -> None:
        super().enforce_csrf()
        cookies = self._client.cookies
        self._client = self._make_client(enforce_csrf_checks=True)
        self._client.cookies = cookies

    def close(self) -> None:
        if self._override is not None:
            self._override.disable()
