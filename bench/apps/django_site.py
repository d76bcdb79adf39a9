"""The Django project shared by the WSGI and ASGI benchmark entry points.

Settings are ``startproject``'s defaults (its whole middleware stack, with
``DEBUG`` off) so the raw views cost what a real project's views cost; the
database is in-memory SQLite and is never queried (no session cookie is
sent, and nothing reads ``request.user``).  The ``peer`` side adds
django-ratelimit (counting in the default cache, ``LocMemCache``) and an echo
under Django's own ``CsrfViewMiddleware``.
"""

from __future__ import annotations

import json
from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt

from bench.apps.data import RATE, SMALL, USERS, make_api, serves

__all__ = ["configure", "urlpatterns_for"]

_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def configure(urlconf: str) -> None:
    """Configure and set up Django with ``urlconf`` as ``ROOT_URLCONF``."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-not-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=urlconf,
        MIDDLEWARE=_MIDDLEWARE,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        # django-ratelimit counts in this cache.  Django's default, spelled out
        # for its size: the default 300 entries would evict live counters of
        # the run's 1,024 clients (and the limit would never be reached).
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
        },
        RATELIMIT_IP_META_KEY=client_behind_one_proxy,
    )
    django.setup()


def client_behind_one_proxy(request: HttpRequest) -> str:
    """The client address when one proxy in front is trusted (ajaxkit's ``trusted_proxies=1``).

    The last ``X-Forwarded-For`` entry, the one that proxy wrote; the peer
    address when there is none.  django-ratelimit's ``RATELIMIT_IP_META_KEY``.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return str(forwarded.rsplit(",", 1)[-1].strip())
    return str(request.META["REMOTE_ADDR"])


# --- the framework's own views ------------------------------------------------


def small(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": SMALL["message"]})


def users(request: HttpRequest) -> JsonResponse:
    return JsonResponse(USERS, safe=False)


@csrf_exempt
def echo(request: HttpRequest) -> JsonResponse:
    return JsonResponse(json.loads(request.body), safe=False)


async def asmall(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": SMALL["message"]})


async def ausers(request: HttpRequest) -> JsonResponse:
    return JsonResponse(USERS, safe=False)


@csrf_exempt
async def aecho(request: HttpRequest) -> JsonResponse:
    return JsonResponse(json.loads(request.body), safe=False)


# --- the peer side: django-ratelimit and Django's own CSRF check ---------------


def echo_csrf(request: HttpRequest) -> JsonResponse:
    return JsonResponse(json.loads(request.body), safe=False)


async def aecho_csrf(request: HttpRequest) -> JsonResponse:
    return JsonResponse(json.loads(request.body), safe=False)


def csrf_token(request: HttpRequest) -> JsonResponse:
    """The masked token a page sends in ``X-CSRFToken``; the middleware sets its cookie."""
    return JsonResponse({"token": get_token(request)})


def _limited_view() -> Any:
    from django_ratelimit.decorators import ratelimit  # type: ignore[import-untyped]

    @ratelimit(key="ip", rate=RATE, block=True)  # type: ignore[untyped-decorator]
    def limited(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"message": SMALL["message"]})

    return limited


def _alimited_view() -> Any:
    """The decorator's own steps around an ``async def`` view.

    django-ratelimit 4.1's ``@ratelimit`` wraps sync views only (an async
    view under it answers a coroutine), so an async view calls the function
    the decorator calls, with the same arguments, and raises what it raises.
    """
    from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]
    from django_ratelimit.exceptions import Ratelimited  # type: ignore[import-untyped]

    async def limited(request: HttpRequest) -> JsonResponse:
        if is_ratelimited(request, fn=limited, key="ip", rate=RATE, increment=True):
            raise Ratelimited()
        return JsonResponse({"message": SMALL["message"]})

    return limited


def _peer_patterns(async_handlers: bool) -> list[URLPattern | URLResolver]:
    """``/peer/*``: the raw views, plus ``limited`` under django-ratelimit's
    ``100/second`` per client address and ``echo-csrf``, ``echo`` without
    ``@csrf_exempt`` (the middleware is in the stack on every side).
    """
    views: tuple[Any, ...]
    if async_handlers:
        views = (asmall, ausers, aecho, aecho_csrf, _alimited_view())
    else:
        views = (small, users, echo, echo_csrf, _limited_view())
    return [
        path("peer/small", views[0]),
        path("peer/users", views[1]),
        path("peer/echo", views[2]),
        path("peer/echo-csrf", views[3]),
        path("peer/limited", views[4]),
        path("peer/_csrf", csrf_token),
    ]


def urlpatterns_for(*, async_mount: bool, async_handlers: bool) -> list[URLPattern | URLResolver]:
    """``/raw/...`` views and/or the ajaxkit mount at ``/ajax/`` (see :func:`serves`).

    Args:
        async_mount: mount ajaxkit's async views (for ASGI).
        async_handlers: ``async def`` raw views and ajaxkit handlers.
    """
    # Imported here: an integration may touch settings, configured above.
    import ajaxkit.django

    views = (asmall, ausers, aecho) if async_handlers else (small, users, echo)
    api = make_api(async_handlers)
    patterns: list[URLPattern | URLResolver] = []
    if serves("raw"):
        patterns += [
            path("raw/small", views[0]),
            path("raw/users", views[1]),
            path("raw/echo", views[2]),
        ]
    if serves("ajax"):
        patterns.append(path("ajax/", include(ajaxkit.django.urls(api, asynchronous=async_mount))))
    if serves("peer"):
        patterns += _peer_patterns(async_handlers)
    return patterns
