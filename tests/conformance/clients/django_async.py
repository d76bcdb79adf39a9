"""Django with async views (``urls(api, asynchronous=True)``), through ``AsyncClient``.

The tests are sync, so each request is driven with asgiref's
``async_to_sync``: the calling thread then serves Django's thread-sensitive
sync code, as the main thread of an ASGI server would.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote

from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application
from django.test import AsyncClient

import ajaxkit.django
from ajaxkit import Ajax
from tests.conformance.clients._django import DjangoClient, to_response
from tests.conformance.clients._websocket import websocket_session
from tests.conformance.clients.base import Response, WsSession


class ServerLikeAsyncClient(AsyncClient):
    """``AsyncClient`` whose scope is what an ASGI server would hand Django.

    Django's async client reuses its WSGI helper, which decodes the path's
    bytes as Latin-1 (PEP 3333's rule for ``PATH_INFO``); uvicorn, daphne and
    hypercorn put the UTF-8 text in ``scope["path"]``, and so does this.  It
    also adds the jar's ``cookie`` header beside one the request gives (and
    Django joins the two): as every other client, a request's own header is
    all it sends.
    """

    def _get_path(self, parsed: Any) -> str:
        return unquote(parsed.path)

    def _base_scope(self, **request: Any) -> dict[str, Any]:
        scope: dict[str, Any] = super()._base_scope(**request)  # type: ignore[misc]  # not in the stubs
        headers = scope["headers"]
        if sum(name == b"cookie" for name, _ in headers) > 1:
            headers.pop()  # the jar's, appended last
        return scope


async def _read(response: Any) -> bytes:
    if not response.streaming:
        return bytes(response.content)
    if not response.is_async:
        # The test client empties a HEAD answer's stream with a plain list.
        return b"".join(response.streaming_content)
    return b"".join([chunk async for chunk in response.streaming_content])


class DjangoAsyncClient(DjangoClient):
    name = "django_async"
    capabilities = frozenset(
        {
            "native",
            "csrf",
            "csrf_token_always",
            "async_server",
            "websocket",
            "hidden_bad_request",
        }
    )
    urlconf = "tests.django_project.conformance_async_urls"
    asynchronous = True

    def _make_client(self, *, enforce_csrf_checks: bool) -> AsyncClient:
        return ServerLikeAsyncClient(enforce_csrf_checks=enforce_csrf_checks)

    def _send(self, method: str, url: str, body: bytes, kwargs: dict[str, Any]) -> Response:
        async def send() -> Response:
            client = self._client
            assert isinstance(client, AsyncClient)  # what _make_client makes here
            response = await client.generic(method, url, data=body, **kwargs)
            return to_response(response, await _read(response))

        return async_to_sync(send)()

    def websocket(
        self,
        path: str,
        *,
        denial_response: bool = True,
        headers: dict[str, str] | None = None,
    ) -> AbstractContextManager[WsSession]:
        # Django's own ASGI application, wrapped once per mount; the test
        # client's session cookie carries the login, as a browser's would.
        apis: Mapping[str, Ajax] = self.apis or importlib.import_module(self.urlconf).APIS
        application: Any = get_asgi_application()
        for prefix, api in apis.items():
            application = ajaxkit.django.asgi(application, api, prefix=prefix)
        cookie = "; ".join(f"{name}={m.value}" for name, m in self._client.cookies.items())
        return websocket_session(
            application,
            path,
            headers={**(headers or {}), "cookie": cookie},
            denial_response=denial_response,
        )
