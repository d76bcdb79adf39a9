"""Django's CSRF cookie as ``<mount>/_csrf`` sets it, from Django's ``CSRF_COOKIE_*`` settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from tests.django.test_urls import _api  # the same two endpoints: hello, echo

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []


@pytest.fixture
def client() -> Iterator[Client]:
    urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(_api())))]
    with override_settings(ROOT_URLCONF=__name__):
        yield Client()
    urlpatterns.clear()


def test_samesite_none_without_secure_is_refused_naming_the_settings(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # Every current browser drops such a cookie without a word: the page's
    # token then never matched a cookie, and each POST was refused.
    with (
        override_settings(CSRF_COOKIE_SAMESITE="None", CSRF_COOKIE_SECURE=False),
        caplog.at_level(logging.ERROR, logger="ajaxkit"),
    ):
        response = client.get("/ajax/_csrf")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "CSRF_COOKIE_SAMESITE" in logged
    assert "CSRF_COOKIE_SECURE = True" in logged


def test_a_prefixed_name_without_secure_is_refused_naming_the_settings(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        override_settings(CSRF_COOKIE_NAME="__Host-csrftoken", CSRF_COOKIE_SECURE=False),
        caplog.at_level(logging.ERROR, logger="ajaxkit"),
    ):
        response = client.get("/ajax/_csrf")
    assert response.status_code == 500
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "'__Host-csrftoken'" in logged
    assert "CSRF_COOKIE_SECURE" in logged


def test_samesite_none_with_secure_is_sent(client: Client) -> None:
    with override_settings(CSRF_COOKIE_SAMESITE="None", CSRF_COOKIE_SECURE=True):
        response = client.get("/ajax/_csrf")
    assert response.status_code == 200
    cookie = response.cookies["csrftoken"]
    assert (cookie["samesite"], cookie["secure"]) == ("None", True)
