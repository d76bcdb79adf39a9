"""Django with sync views (``urls(api)``), through ``django.test.Client``."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.test import Client as DjangoTestClient

from tests.conformance.clients._django import DjangoClient, to_response
from tests.conformance.clients.base import Response


class DjangoSyncClient(DjangoClient):
    name = "django_sync"
    capabilities = frozenset({"native", "csrf", "csrf_token_always", "hidden_bad_request"})
    urlconf = "tests.django_project.conformance_urls"

    def _make_client(self, *, enforce_csrf_checks: bool) -> DjangoTestClient:
        return DjangoTestClient(enforce_csrf_checks=enforce_csrf_checks)

    def _send(self, method: str, url: str, body: bytes, kwargs: dict[str, Any]) -> Response:
        response = self._client.generic(method, url, data=body, **kwargs)
        if isinstance(response, StreamingHttpResponse):
            content = response.getvalue()  # joins the stream, as a WSGI server would
        else:
            content = response.content
        return to_response(response, content)
