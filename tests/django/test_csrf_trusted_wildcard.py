"""Django's ``CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]`` trusts ``example.com`` too.

Django reads a ``*.`` entry as the domain and all its subdomains (its
``is_same_domain``); ajaxkit's own patterns trust the subdomains only.  A
page on the bare domain calling an API on a subdomain (``Sec-Fetch-Site:
same-site``) passed Django's own check, and ajaxkit, reading Django's
setting by its own rule, refused it with a 403 the project never had.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax

pytestmark = pytest.mark.django

api = Ajax()
api.endpoint("save", methods=["POST"])(lambda: {"saved": True})

urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]


@pytest.fixture
def browser() -> Iterator[Client]:
    trusted = ["http://*.example.com"]
    with override_settings(ROOT_URLCONF=__name__, CSRF_TRUSTED_ORIGINS=trusted):
        yield Client(enforce_csrf_checks=True, HTTP_HOST="api.example.com")


def _post_from(browser: Client, origin: str) -> tuple[int, str]:
    token = browser.get("/ajax/_csrf").json()["token"]
    headers = {"Origin": origin, "Sec-Fetch-Site": "same-site", "X-CSRFToken": token}
    response = browser.post("/ajax/save", {}, content_type="application/json", headers=headers)
    return response.status_code, response.json().get("detail", "")


@pytest.mark.parametrize("origin", ["http://example.com", "http://www.example.com"])
def test_a_django_wildcard_trusts_the_domain_and_its_subdomains(
    browser: Client, origin: str
) -> None:
    assert _post_from(browser, origin) == (200, "")


@pytest.mark.parametrize("origin", ["http://badexample.com", "https://example.com"])
def test_it_trusts_nothing_else(browser: Client, origin: str) -> None:
    status, detail = _post_from(browser, origin)
    assert status == 403, detail
