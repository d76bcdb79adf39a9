"""Rule Q1: CORS is each framework's own package in front of the mount, not ajaxkit's.

django-cors-headers, flask-cors and Starlette's ``CORSMiddleware`` (FastAPI
mounts the same) answer the preflight; the actual cross-origin request then
passes the CSRF policy because the CORS list and the CSRF trusted origins
are one list (``api.settings.csrf.trusted_origins``), whether the code gave
it (``CsrfPolicy(trusted_origins=...)``) or the framework configuration
(``AJAXKIT_CSRF_TRUSTED_ORIGINS``): the CORS package is set up after the
mount, which resolved the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from ajaxkit import Ajax
from ajaxkit.core.csrf import CsrfPolicy

TRUSTED = "http://app.example"
OTHER = "http://evil.example"

#: (status, lower-cased headers) for (method, path, headers).
Send = Callable[[str, str, dict[str, str]], tuple[int, dict[str, str]]]


#: Where the trusted origins are given: (code, configuration).
Where = tuple[Ajax, dict[str, Any]]


def make_api(where: str) -> Where:
    if where == "code":
        api, config = Ajax(csrf=CsrfPolicy(trusted_origins=(TRUSTED,))), {}
    else:
        api, config = Ajax(), {"AJAXKIT_CSRF_TRUSTED_ORIGINS": [TRUSTED]}

    @api.endpoint("submit", methods=["POST"])
    def submit() -> dict[str, bool]:
        return {"submitted": True}

    return api, config


def _django(where: str) -> Iterator[Send]:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path

    import ajaxkit.django

    api, config = make_api(where)
    urlconf = ModuleType("cors_urls")
    with override_settings(**config):
        urlconf.urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]  # type: ignore[attr-defined]
        trusted = list(api.settings.csrf.trusted_origins)
    middleware = ["corsheaders.middleware.CorsMiddleware", *settings.MIDDLEWARE]
    with override_settings(
        **config,
        ROOT_URLCONF=urlconf,
        MIDDLEWARE=middleware,
        CORS_ALLOWED_ORIGINS=trusted,
        CORS_ALLOW_CREDENTIALS=True,
    ):
        client = Client()

        def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
            response = client.generic(method, path, headers=headers)
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}

        yield send


def _flask(where: str) -> Iterator[Send]:
    import flask
    from flask_cors import CORS

    from ajaxkit.flask import AjaxKit

    api, config = make_api(where)
    app = flask.Flask(__name__)
    app.secret_key = "test"
    app.config.update(config)
    AjaxKit(app, api=api)
    CORS(app, origins=list(api.settings.csrf.trusted_origins), supports_credentials=True)
    client = app.test_client()

    def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        response = client.open(path, method=method, headers=headers)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}

    yield send


def _asgi(framework: str, where: str) -> Iterator[Send]:
    from starlette.middleware.cors import CORSMiddleware
    from starlette.testclient import TestClient
    from starlette.types import ASGIApp

    api, config = make_api(where)
    if framework == "fastapi":
        from fastapi import FastAPI

        import ajaxkit.fastapi

        app = FastAPI()
        ajax = ajaxkit.fastapi.app(api, config=config)
        origins = list(api.settings.csrf.trusted_origins)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=True,
        )
        app.mount("/ajax", ajax)
        asgi: ASGIApp = app
    else:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.routing import Mount

        import ajaxkit.starlette

        mounted = ajaxkit.starlette.app(api, config=config)
        origins = list(api.settings.csrf.trusted_origins)
        asgi = Starlette(
            routes=[Mount("/ajax", app=mounted)],
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


@pytest.fixture(params=["code", "config"])
def where(request: pytest.FixtureRequest) -> str:
    """Where the trusted origins are given."""
    return str(request.param)


@pytest.fixture(
    params=[
        pytest.param("django", marks=pytest.mark.django),
        pytest.param("flask", marks=pytest.mark.flask),
        pytest.param("starlette", marks=pytest.mark.starlette),
        pytest.param("fastapi", marks=pytest.mark.fastapi),
    ]
)
def send(request: pytest.FixtureRequest, where: str) -> Iterator[Send]:
    framework: str = request.param
    if framework == "django":
        yield from _django(where)
    elif framework == "flask":
        yield from _flask(where)
    else:
        yield from _asgi(framework, where)


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
