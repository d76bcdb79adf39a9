"""The Django project shared by the WSGI and ASGI benchmark entry points.

Settings are ``startproject``'s defaults (its whole middleware stack, with
``DEBUG`` off) so the raw views cost what a real project's views cost; the
database is in-memory SQLite and is never queried (no session cookie is
sent, and nothing reads ``request.user``).
"""

from __future__ import annotations

import json

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt

from bench.apps.data import SMALL, USERS, make_api, serves

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
    )
    django.setup()


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
    return patterns
