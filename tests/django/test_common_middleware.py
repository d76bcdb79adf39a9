"""``CommonMiddleware`` with ``APPEND_SLASH`` below the mount (docs/django.md, "Middleware")."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []


@pytest.mark.parametrize("url", ["/ajax/echo", "/ajax/echo/"])
def test_a_post_below_the_mount_is_answered_with_or_without_the_slash(url: str) -> None:
    api = Ajax()

    @api.endpoint(methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data

    urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(api)))]
    middleware = ["django.middleware.common.CommonMiddleware"]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware, DEBUG=True):
        response = Client().post(
            url, b'{"a": 1}', "application/json", headers={"Sec-Fetch-Site": "same-origin"}
        )
    assert response.status_code == 200
    assert response.json() == {"a": 1}
