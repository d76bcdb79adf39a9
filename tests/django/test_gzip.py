"""Django's ``GZipMiddleware`` and ajaxkit's answers (docs/django.md, "Middleware").

Django's middleware compresses a streamed answer without flushing under
WSGI, so NDJSON records and SSE events wait for the stream to end, and it
weakens a record's ``ETag``, which ``If-Match`` (strong comparison) then
never matches.  The middleware the page recommends leaves both alone and
still compresses every other answer.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
from tests.django_project.catalog.models import Category

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []
MIDDLEWARE = ["examples.docs.django_gzip.GZipMiddleware"]
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
#: The records the stream has produced so far.
produced: list[int] = []


class Categories(ModelEndpoint):
    fields = ("id", "name")
    allow_anonymous = True

    def can_update(self, user: Any, obj: Any) -> bool:
        return True


@pytest.fixture(autouse=True)
def _mount() -> Iterator[None]:
    api = Ajax()

    @api.endpoint
    def feed(request: AjaxRequest) -> Iterator[dict[str, Any]]:
        for i in range(3):
            produced.append(i)
            yield {"i": i, "text": "x" * 300}

    @api.endpoint
    def page(request: AjaxRequest) -> dict[str, str]:
        return {"text": "x" * 1000}

    api.model(Category, Categories, resource="categories")
    urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(api)))]
    produced.clear()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=MIDDLEWARE):
        yield


def test_a_stream_s_records_are_sent_as_they_are_made() -> None:
    response = Client().get("/ajax/feed", headers=GZIP)
    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(b'{"i":0,')
    assert produced == [0]


def test_a_record_s_etag_passes_if_match() -> None:
    category = Category.objects.create(name="x" * 300)
    url = f"/ajax/categories/{category.pk}"
    client = Client()
    read = client.get(url, headers=GZIP)
    changed = client.patch(
        url,
        data=b'{"name": "y"}',
        content_type="application/json",
        headers={**GZIP, "If-Match": read.headers["ETag"], "Sec-Fetch-Site": "same-origin"},
    )
    assert changed.status_code == 200, changed.content


def test_other_answers_are_still_compressed() -> None:
    response = Client().get("/ajax/page", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert zlib.decompress(response.content, 16 + zlib.MAX_WBITS).startswith(b'{"text":')
