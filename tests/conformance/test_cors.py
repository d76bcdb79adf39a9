"""Rule Q1: CORS is each framework's own package in front of the mount, not ajaxkit's.

django-cors-headers, flask-cors and Starlette's ``CORSMiddleware`` (FastAPI
mounts the same) answer the preflight; the actual cross-origin request then
passes the CSRF policy because the CORS list and the CSRF trusted origins
are one list (``api.settings.csrf.trusted_origins``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from ajaxkit import Ajax
from ajaxkit.core.csrf import CsrfPolicy

TRUSTED = "http://app.example"
OTHER = "http://evil.example"

#: (status, lower-cased headers) for (method, path, headers).
Send = Callable[[str, str, dict[str, str]], tuple[int, dict[str, str]]]


def make_api() -> Ajax:
    api = Ajax(csrf=CsrfPolicy(trusted_origins=(TRUSTED,)))

    @api.endpoint("submit", methods=["POST"])
    def submit() -> dict[str, bool]:
        return {"submitted": True}

    return api


def _django() -> Iterator[Send]:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path

    import ajaxkit.django

    api = make_api()
    urlconf = ModuleType("cors_urls")
    urlconf.urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]  # type: ignore[attr-defined]
    middleware = ["corsheaders.middleware.CorsMiddleware", *settings.MIDDLEWARE]
    with override_settings(
        ROOT_URLCONF=urlconf,
        MIDDLEWARE=middleware,
        CORS_ALLOWED_ORIGINS=list(api.settings.csrf.trusted_origins),
        CORS_ALLOW_CREDENTIALS=True,
    ):
        client = Client()

        def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
            response = client.generic(method, path, headers=headers)
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}

        yield send


def _flask() -> Iterator[Send]:
    import flask
    from flask_cors import CORS

    from ajaxkit.flask import AjaxKit

    api = make_api()
    app = flask.Flask(__name__)
    app.secret_key = "test"
    AjaxKit(app, api=api)
    CORS(app, origins=list(api.settings.csrf.trusted_origins), supports_credentials=True)
    client = app.test_client()

    def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        response = client.open(path, method=method, headers=headers)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}

    yield send


def _asgi(framework: str) -> Iterator[Send]:
    from starlette.middleware.cors import CORSMiddleware
    from starlette.testclient import TestClient
    from starlette.types import ASGIApp

    api = make_api()
    origins = list(api.settings.csrf.trusted_origins)
    if framework == "fastapi":
        from fastapi import FastAPI

        import ajaxkit.fastapi

        app = FastAPI()
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=True,
        )
        app.mount("/ajax", ajaxkit.fastapi.app(api))
        asgi: ASGIApp = app
    else:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.routing import Mount

        import ajaxkit.starlette

        asgi = Starlette(
            routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))],
            middleware=[
                Middleware(
                    CORSMiddleware,
                    allow_origins=origins,
                    allow_methods=["*"],
                    allow_headers=["*"],
                    allow_credentials=True,
                )
            ],
        )
    with TestClient(asgi) as client:

        def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
            response = client.request(method, path, headers=headers)
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}

        yield send


@pytest.fixture(
    params=[
        pytest.param("django", marks=pytest.mark.django),
        pytest.param("flask", marks=pytest.mark.flask),
        pytest.param("starlette", marks=pytest.mark.starlette),
        pytest.param("fastapi", marks=pytest.mark.fastapi),
    ]
)
def send(request: pytest.FixtureRequest) -> Iterator[Send]:
    framework: str = request.param
    if framework == "django":
        yield from _django()
    elif framework == "flask":
        yield from _flask()
    else:
        yield from _asgi(framework)


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, x-csrftoken",
}


def test_Q1_preflight_from_a_trusted_origin_is_answered_by_the_cors_package(send: Send) -> None:
    status, headers = send("OPTIONS", "/ajax/submit", {"Origin": TRUSTED, **PREFLIGHT})
    assert status in (200, 204)
    assert headers["access-control-allow-origin"] == TRUSTED
    assert headers["access-control-allow-credentials"] == "true"
    assert "x-csrftoken" in headers["access-control-allow-headers"].lower()


def test_Q1_preflight_from_another_origin_gets_no_grant(send: Send) -> None:
    _, headers = send("OPTIONS", "/ajax/submit", {"Origin": OTHER, **PREFLIGHT})
    assert headers.get("access-control-allow-origin") != OTHER


def test_Q1_the_cors_list_is_the_csrf_list(send: Send) -> None:
    cross = {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}
    # (Django's test client skips Django's own token check, as it always does.)
    status, headers = send("POST", "/ajax/submit", {"Origin": TRUSTED, **cross})
    assert status == 200
    assert headers["access-control-allow-origin"] == TRUSTED
    status, headers = send("POST", "/ajax/submit", {"Origin": OTHER, **cross})
    assert status == 403
    assert "access-control-allow-origin" not in headers
