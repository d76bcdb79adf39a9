"""Django: a POST without a CSRF cookie is refused before its body is read, forms included.

Django's CSRF check reads ``request.POST`` for ``csrfmiddlewaretoken`` only
once a CSRF cookie is present; ajaxkit buffers a multipart body for it only
then, so an oversized form without a cookie is a 403, not a 413 (protocol A5).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.django

api = Ajax(max_body_size=64 * 1024 * 1024)


@api.endpoint("upload", methods=["POST"])
def upload(request: AjaxRequest, name: str = "") -> dict[str, Any]:
    return {"name": name}


urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]

BIG = b"x" * (3 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


@pytest.fixture
def browser() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(enforce_csrf_checks=True)


def _post_form(client: Client) -> Any:
    return client.post("/ajax/upload", {"name": "a", "blob": BIG.decode()})


def test_oversized_form_without_a_csrf_cookie_is_403(browser: Client) -> None:
    response = _post_form(browser)
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")


def test_with_a_cookie_django_bounds_the_form_read(browser: Client) -> None:
    browser.cookies["csrftoken"] = "a" * 32
    response = _post_form(browser)
    # Django refuses the declared length before reading: its own limit.
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
