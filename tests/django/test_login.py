"""Rule A6 on Django: the project's own ``login_required`` views answer a fetch with 401."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.test.utils import override_settings
from django.urls import path

pytestmark = pytest.mark.django


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@login_required
async def adashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


def _urlconf() -> ModuleType:
    module = ModuleType("fetch_login_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("dashboard/", dashboard),
        path("adashboard/", adashboard),
    ]
    return module


@pytest.fixture(autouse=True)
def _middleware() -> Iterator[None]:
    middleware = [*settings.MIDDLEWARE, "ajaxkit.django.FetchAwareLoginMiddleware"]
    with override_settings(MIDDLEWARE=middleware, ROOT_URLCONF=_urlconf()):
        yield


FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


@pytest.mark.parametrize(
    "headers",
    [FETCH, {"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}],
)
def test_A6_anonymous_fetch_gets_401_with_login_url(headers: dict[str, str]) -> None:
    response = Client().get("/dashboard/", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["login_url"] == "/accounts/login/?next=/dashboard/"


def test_A6_navigation_still_redirects() -> None:
    headers = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}
    response = Client().get("/dashboard/", headers=headers)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


def test_A6_async_stack_answers_the_same() -> None:
    import asyncio

    async def fetch() -> int:
        response = await AsyncClient().get("/adashboard/", headers=FETCH)
        return response.status_code

    assert asyncio.run(fetch()) == 401
