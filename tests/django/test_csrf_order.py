"""Django: a POST without a CSRF cookie is refused before its body is read, forms included.

Django's CSRF check reads ``request.POST`` for ``csrfmiddlewaretoken`` only
once a CSRF cookie is present; ajaxkit buffers a form body for it only then,
at most ``max_body_size`` bytes, so an oversized form without a cookie is a
403, not a 413 (protocol A5), and one with a cookie is a 413.
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

api = Ajax(max_body_size=1024 * 1024)


@api.endpoint("upload", methods=["POST"])
def upload(request: AjaxRequest, name: str = "") -> dict[str, Any]:
    return {"name": name}


urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]

BIG = b"x" * (2 * 1024 * 1024)  # over max_body_size


@pytest.fixture
def browser() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(enforce_csrf_checks=True)


def _post_form(client: Client) -> Any:
    return client.post("/ajax/upload", {"name": "a", "blob": BIG.decode()})


def test_oversized_form_without_a_csrf_cookie_is_403(browser: Client) -> None:
    response = _post_form(browser)
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
def test_with_a_cookie_the_form_read_is_bounded_by_max_body_size(
    browser: Client, form: str
) -> None:
    browser.cookies["csrftoken"] = "a" * 32
    if form == "multipart":
        response = _post_form(browser)
    else:
        body = b"name=a&blob=" + BIG
        ctype = "application/x-www-form-urlencoded"
        response = browser.post("/ajax/upload", body, content_type=ctype)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_small_form_with_cookie_and_token_passes(browser: Client) -> None:
    token = "b" * 32  # a secret as Django's cookie holds it; the form repeats it
    browser.cookies["csrftoken"] = token
    response = browser.post("/ajax/upload", {"name": "a", "csrfmiddlewaretoken": token})
    assert response.json() == {"name": "a"}
