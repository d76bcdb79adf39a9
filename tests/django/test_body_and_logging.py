"""Under the mount ajaxkit's limit governs bodies, and each server error is logged once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import override_settings
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.django import DjangoBody, ajax
from tests.conformance.clients._django import csrf_token_view

pytestmark = pytest.mark.django


def _api(**settings: Any) -> Ajax:
    api = Ajax(**settings)

    @api.endpoint(methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return {"size": len(request.body)}

    @api.endpoint(methods=["POST"])
    def upload(request: AjaxRequest) -> Any:
        return {"files": sorted(request.files)}

    @api.endpoint
    def boom() -> None:
        raise RuntimeError("kaboom")

    return api


@ajax(methods=["POST"])
def form(request: HttpRequest) -> dict[str, Any]:
    return {"a": request.POST.get("a"), "size": len(request.body)}


urlpatterns: list[Any] = []


@pytest.fixture
def mount() -> Iterator[Any]:
    def mount(api: Ajax, *, asynchronous: bool = False) -> None:
        urlpatterns[:] = [
            path("ajax/", include(ajaxkit.django.urls(api, asynchronous=asynchronous))),
            path("form/", form),  # type: ignore[arg-type]  # @ajax is typed as returning its function
            path("csrf-token/", csrf_token_view),
        ]

    with override_settings(ROOT_URLCONF=__name__):
        yield mount
    urlpatterns.clear()


def _json(size: int) -> bytes:
    return b'{"a":"' + b"x" * (size - 8) + b'"}'


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_ajaxkit_limit_governs_not_data_upload_max_memory_size(mount: Any) -> None:
    mount(_api(max_body_size=1000))
    client = Client()
    accepted = client.post("/ajax/echo", _json(1000), content_type="application/json")
    assert (accepted.status_code, accepted.json()) == (200, {"size": 1000})
    refused = client.post("/ajax/echo", _json(1001), content_type="application/json")
    assert refused.status_code == 413
    assert refused.json()["detail"] == "The request body is larger than 1000 bytes."


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_wrapped_view_reads_a_body_over_djangos_limit(mount: Any) -> None:
    # URL-encoded: a multipart body parsed by the view's own request.POST
    # is Django's parser, which applies Django's per-field limit.
    mount(_api())
    body = "a=" + "x" * 300
    response = Client().post("/form/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert response.json()["a"] == "x" * 300


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_csrf_checked_multipart_over_djangos_limit(mount: Any) -> None:
    mount(_api())
    client = Client(enforce_csrf_checks=True)
    token = client.get("/csrf-token/").json()["token"]
    doc = SimpleUploadedFile("d.txt", b"d" * 500, content_type="text/plain")
    response = client.post("/ajax/upload", {"csrfmiddlewaretoken": token, "doc": doc})
    assert response.status_code == 200, response.content
    assert response.json() == {"files": ["doc"]}


def test_body_source_reads_at_most_limit_plus_one() -> None:
    request = RequestFactory().generic("POST", "/", b"y" * 10_000, "application/json")
    stream = request._stream
    assert DjangoBody(request).read(100) == b"y" * 101
    # Django's own body was not read whole behind ajaxkit's back.
    assert stream.read() == b"y" * (10_000 - 101)


def test_body_source_keeps_the_body_for_django_within_the_limit() -> None:
    request = RequestFactory().post("/", {"a": "1"})
    data = DjangoBody(request).read(10_000)
    assert request.body == data
    assert request.POST["a"] == "1"


def test_body_source_reuses_a_body_django_already_read() -> None:
    request = RequestFactory().generic("POST", "/", b"z" * 50, "application/json")
    assert len(request.body) == 50
    assert DjangoBody(request).read(10) == b"z" * 11


@pytest.mark.parametrize("asynchronous", [False, True], ids=["wsgi", "asgi"])
def test_server_error_is_logged_once(
    mount: Any, caplog: pytest.LogCaptureFixture, asynchronous: bool
) -> None:
    mount(_api(), asynchronous=asynchronous)
    with caplog.at_level(logging.INFO):
        if asynchronous:
            answer = async_to_sync(AsyncClient().get)("/ajax/boom")
            status, problem = answer.status_code, answer.json()
        else:
            response = Client().get("/ajax/boom")
            status, problem = response.status_code, response.json()
    assert status == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["ajaxkit"]
    error_id = problem["instance"].removeprefix("urn:uuid:")
    assert error_id in errors[0].getMessage()


def test_client_errors_are_left_to_django(mount: Any, caplog: pytest.LogCaptureFixture) -> None:
    # ajaxkit does not log 4xx; Django's usual warning stays the one record.
    mount(_api())
    with caplog.at_level(logging.INFO):
        assert Client().get("/ajax/nowhere").status_code == 404
    assert [r.name for r in caplog.records] == ["django.request"]
