"""Django: Django's own ``@csrf_exempt`` on an ``@ajax`` view exempts it, in either order.

ajaxkit keeps Django's CSRF semantics (issue: "CsrfViewMiddleware semantics
keep working unchanged"), and ``csrf_exempt`` on a view is one of them: a
webhook receiver or a token-authenticated view is written that way.  Above
``@ajax`` (Django's documented place, the outermost) and below it alike, the
view was refused with ajaxkit's 403 asking for a token.  Without it, the
same view stays protected; exempting one view exempts no other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ajaxkit.django import ajax

pytestmark = pytest.mark.django


def passing_through(view: Callable[..., Any]) -> Callable[..., Any]:
    """A decorator of the project's own, made as decorators are (it copies
    the view's attributes, ajaxkit's CSRF mark included)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> Any:
        return view(request)

    return wrapper


def route(url: str, view: Callable[..., Any]) -> URLPattern:
    return path(url, view)


@csrf_exempt
@ajax(methods=["POST"])
def exempt_above(request: HttpRequest) -> dict[str, str]:
    return {"view": "above"}


@ajax(methods=["POST"])
@csrf_exempt
def exempt_below(request: HttpRequest) -> dict[str, str]:
    return {"view": "below"}


@csrf_exempt
@passing_through
@ajax(methods=["POST"])
def exempt_two_above(request: HttpRequest) -> dict[str, str]:
    return {"view": "two above"}


@passing_through
@ajax(methods=["POST"])
def protected_under_a_decorator(request: HttpRequest) -> dict[str, str]:
    return {"view": "protected"}


@ajax(methods=["POST"])
def protected(request: HttpRequest) -> dict[str, str]:
    return {"view": "protected"}


urlpatterns = [
    route("above", exempt_above),
    route("below", exempt_below),
    route("two-above", exempt_two_above),
    route("protected-under", protected_under_a_decorator),
    route("protected", protected),
]


@pytest.fixture
def browser() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(enforce_csrf_checks=True)


def _post(client: Client, url: str) -> Any:
    return client.post(url, data="{}", content_type="application/json")


@pytest.mark.parametrize(
    ("url", "view"),
    [("/above", "above"), ("/below", "below"), ("/two-above", "two above")],
)
def test_djangos_csrf_exempt_exempts_the_view(browser: Client, url: str, view: str) -> None:
    response = _post(browser, url)
    assert (response.status_code, response.json()) == (200, {"view": view})


@pytest.mark.parametrize("url", ["/protected", "/protected-under"])
def test_a_view_not_exempted_is_still_refused(browser: Client, url: str) -> None:
    # ajaxkit marks its own wrapper exempt from the middleware (it runs
    # Django's check itself, to answer with a problem): a decorator above
    # copying that mark must not pass for the user's exemption.
    response = _post(browser, url)
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")


@method_decorator(csrf_exempt, name="dispatch")
class ExemptHook(View):
    @method_decorator(ajax(methods=["POST"]))
    def post(self, request: HttpRequest) -> dict[str, str]:
        return {"view": "class"}


urlpatterns.append(route("class", ExemptHook.as_view()))


def test_djangos_csrf_exempt_on_a_class_based_views_dispatch_exempts_it(browser: Client) -> None:
    response = _post(browser, "/class")
    assert (response.status_code, response.json()) == (200, {"view": "class"})


@csrf_exempt
@ajax(methods=["POST"])
async def exempt_async(request: HttpRequest) -> dict[str, str]:
    return {"view": "async"}


urlpatterns.append(route("async", exempt_async))


def test_djangos_csrf_exempt_exempts_an_async_view(browser: Client) -> None:
    response = _post(browser, "/async")
    assert (response.status_code, response.json()) == (200, {"view": "async"})
