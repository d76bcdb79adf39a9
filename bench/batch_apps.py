"""The apps bench/batch.py serves: one small endpoint plus the batch endpoint."""

from __future__ import annotations

from typing import Any

from ajaxkit import Ajax


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint("item")
    async def item(n: int) -> dict[str, Any]:
        return {"n": n, "name": f"item {n}", "tags": ["a", "b"]}

    # Exempt here only so the benchmark needs no CSRF token; see docs/security.md.
    api.batch(max_items=50, csrf_exempt=True)
    return api


def _starlette() -> Any:
    from starlette.applications import Starlette

    import ajaxkit.starlette

    app = Starlette()
    app.mount("/ajax", ajaxkit.starlette.app(_api()))
    return app


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
        from django.urls import include, path

        import ajaxkit.django

        return [path("ajax/", include(ajaxkit.django.urls(_api(), asynchronous=True)))]
    raise AttributeError(name)
