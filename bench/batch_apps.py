"""The apps bench/batch.py serves: one small endpoint plus the batch endpoint.

Each also serves, at ``/``, the page bench/batch_browser.py drives: it imports
the client from the mount (``/ajax/ajaxkit.js``), so the page, the client and
the calls share one origin, as on a real site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ajaxkit import Ajax

#: The mount's ``max_items``; the page's client coalesces up to this many calls.
MAX_ITEMS = 50
PAGE = (Path(__file__).resolve().parent / "batch_page.html").read_text()


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint("item")
    async def item(n: int) -> dict[str, Any]:
        return {"n": n, "name": f"item {n}", "tags": ["a", "b"]}

    # Exempt here only so the benchmark needs no CSRF token; see docs/security.md.
    api.batch(max_items=MAX_ITEMS, csrf_exempt=True)
    return api


def _starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route

    import ajaxkit.starlette

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(_api())), Route("/", page)])


def _django() -> Any:
    import django
    from django.conf import settings

    if settings.configured:
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
    )
    django.setup()
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def __getattr__(name: str) -> Any:
    # Built on first use: each server process imports only the app it serves.
    if name == "starlette_app":
        return _starlette()
    if name == "django_app":
        return _django()
    if name == "urlpatterns":
        from django.http import HttpRequest, HttpResponse
        from django.urls import include, path

        import ajaxkit.django

        async def page(request: HttpRequest) -> HttpResponse:
            return HttpResponse(PAGE)

        return [
            path("ajax/", include(ajaxkit.django.urls(_api(), asynchronous=True))),
            path("", page),
        ]
    raise AttributeError(name)
