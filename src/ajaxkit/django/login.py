"""Fetch-aware login for the project's own views: 401 for a fetch, the redirect for a page.

Django's ``login_required`` answers an anonymous request with a redirect to
``LOGIN_URL``; a ``fetch()`` follows it silently and gets the login page's
HTML where it expected JSON.  Add the middleware::

    MIDDLEWARE = [..., "ajaxkit.django.FetchAwareLoginMiddleware"]

and such a redirect, when the request came from script
(:func:`ajaxkit.core.auth.is_fetch`), becomes a 401 problem whose
``login_url`` is the redirect's target (``?next=`` included).  A browser
navigation still gets the redirect.  A view's own login page
(``login_required(login_url=...)``, ``user_passes_test``,
``LoginRequiredMixin.login_url``, ``redirect_to_login``) is recognised by
the field, ``next`` or the view's ``redirect_field_name``, that carries the
request's own URL back (:func:`ajaxkit.core.auth.is_login_redirect`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url

from ajaxkit.core.auth import is_fetch, is_login_redirect, login_problem
from ajaxkit.core.settings import Settings
from ajaxkit.django.adapter import to_ajax_request, to_django_response
from ajaxkit.django.platform import DJANGO_PLATFORM

__all__ = ["FetchAwareLoginMiddleware"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SETTINGS = Settings()


class FetchAwareLoginMiddleware:
    """Turns ``login_required``'s redirect into a 401 problem for fetch requests."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        return adapt(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response: Awaitable[HttpResponseBase] = self.get_response(request)
        return adapt(request, await response)


def adapt(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """``response``, or the 401 problem when it sends a fetch to the login page."""
    if response.status_code not in _REDIRECTS or not is_fetch(request.headers):
        return response
    location = response.headers.get("Location", "")
    login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path
    if not is_login_redirect(location, login_path, _own_urls(request)):
        return response
    ajax_request = to_ajax_request(request, route="")
    problem = login_problem(ajax_request, _SETTINGS, DJANGO_PLATFORM, location)
    return to_django_response(problem, request)


def _own_urls(request: HttpRequest) -> tuple[str, ...]:
    """The URLs ``redirect_to_login`` may name ``request`` by: its path, or absolute."""
    full_path = request.get_full_path()
    try:
        return (full_path, request.build_absolute_uri())
    except DisallowedHost:
        return (full_path,)
