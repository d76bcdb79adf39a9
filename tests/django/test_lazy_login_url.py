"""``LOGIN_URL = reverse_lazy("login")``, a common way to name the login page.

``ajaxkit.django.urls(api)`` read ``LOGIN_URL`` as text, and so reversed it,
while the project's ``urls.py`` that called it was still being imported:
Django then found that urlconf without patterns and every request failed
with ``ImproperlyConfigured`` ("... probably caused by a circular import").
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import clear_url_caches, reverse_lazy

pytestmark = pytest.mark.django

URLCONF = "tests.django.lazy_login_urls"


@pytest.fixture
def client() -> Iterator[Client]:
    sys.modules.pop(URLCONF, None)  # imported by the first request, as a project's is
    clear_url_caches()
    with override_settings(ROOT_URLCONF=URLCONF, LOGIN_URL=reverse_lazy("lazy-signin")):
        yield Client()
    sys.modules.pop(URLCONF, None)
    clear_url_caches()


def test_a_lazily_reversed_login_url_is_read_once_the_urlconf_is_loaded(client: Client) -> None:
    response = client.get("/ajax/private", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 401
    assert response.json()["login_url"] == "/accounts/signin/"
