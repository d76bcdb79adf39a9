"""Django with async views (``urls(api, asynchronous=True)``), through ``AsyncClient``.

The tests are sync, so each request is driven with asgiref's
``async_to_sync``: the calling thread then serves Django's thread-sensitive
sync code, as the main thread of an ASGI server would.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.test import AsyncClient

from tests.conformance.clients._django import DjangoClient, to_response
from tests.conformance.clients.base import Response


async def _read(response: Any) -> bytes:
    if not response.streaming:
        return bytes(response.content)
    return b"".join([chunk async for chunk in response.streaming_content])


class DjangoAsyncClient(DjangoClient):
    name = "django_async"
    capabilities = frozenset({"native", "csrf", "async_server"})
    urlconf = "tests.django_project.conformance_async_urls"

    def _make_client(self, *, enforce_csrf_checks: bool) -> AsyncClient:
        return AsyncClient(enforce_csrf_checks=enforce_csrf_checks)

    def _send(self, method: str, url: str, body: bytes, kwargs: dict[str, Any]) -> Response:
        async def send() -> Response:
            response = await self._client.generic(method, url, data=body, **kwargs)
            return to_response(response, await _read(response))

        return async_to_sync(send)()
