"""``ajaxkit.testing.Client`` calls the paths under its mount, as a mounted app is called."""

from __future__ import annotations

import logging
from typing import Any

import flask
import pytest
import werkzeug.exceptions
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from fastapi import HTTPException as FastAPIHTTPException
from fastapi import Request as FastAPIRequest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

# Imported as the app under test imports them: each declares its framework.
import ajaxkit.django
import ajaxkit.fastapi
import ajaxkit.flask
import ajaxkit.starlette  # noqa: F401
from ajaxkit import Ajax
from ajaxkit.testing import Client


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint
    def hello() -> dict[str, str]:
        return {"message": "hi"}

    return api


@pytest.mark.parametrize("path", ["/hello", "hello"])
def test_a_path_outside_the_mount_says_where_the_mount_is(path: str) -> None:
    # The mount prefix left out: it was a 404 whose detail read
    # "No endpoint at '\x00'", naming neither the path nor the mount.
    with pytest.raises(ValueError, match=r"not under the client's mount '/ajax'.*'/ajax/hello'"):
        Client(_api()).get(path)


def test_a_path_that_only_starts_like_the_mount_is_not_under_it() -> None:
    # /ajaxhello was taken for /ajax/hello, which no mounted app answers.
    with pytest.raises(ValueError, match=r"'/ajaxhello' is not under the client's mount"):
        Client(_api()).get("/ajaxhello")


@pytest.mark.parametrize(
    ("mount", "path"),
    [
        ("/ajax", "/ajax/hello"),
        ("/ajax/", "/ajax/hello"),
        ("/api/v1", "/api/v1/hello"),
        ("", "/hello"),
        ("/ajax", "ajax/hello"),  # as the frameworks' test clients read it
        ("/ajax", "http://testserver/ajax/hello"),
    ],
)
def test_a_path_under_the_mount_is_answered(mount: str, path: str) -> None:
    assert Client(_api(), mount=mount).get(path).json() == {"message": "hi"}


def test_the_mount_root_is_under_the_mount() -> None:
    for path in ("/ajax", "/ajax/"):
        assert Client(_api()).get(path).json()["code"] == "not_found"


def _raising(exc: BaseException) -> Ajax:
    api = Ajax()

    @api.endpoint("notes/{pk}")
    def note(pk: int) -> None:
        raise exc

    return api


@pytest.mark.parametrize(
    ("exc", "status", "detail"),
    [
        (Http404("No note 7."), 404, "No note 7."),
        (PermissionDenied("Not yours."), 403, "Not yours."),
        (werkzeug.exceptions.NotFound("No note 7."), 404, "No note 7."),
        (FastAPIHTTPException(409, "Taken."), 409, "Taken."),
        (StarletteHTTPException(404, "No note 7."), 404, "No note 7."),
    ],
    ids=["django-404", "django-403", "flask-404", "fastapi-409", "starlette-404"],
)
def test_a_framework_exception_is_answered_as_under_the_mount(
    exc: BaseException, status: int, detail: str
) -> None:
    # The framework's own errors, raised where the app imports its
    # integration: the client answered them with a 500, which no mount did.
    response = Client(_raising(exc)).get("/ajax/notes/7")
    assert (response.status, response.json()["detail"]) == (status, detail)


@pytest.mark.parametrize("request_class", [HttpRequest, flask.Request, FastAPIRequest])
def test_a_handler_taking_the_frameworks_request_says_the_client_has_none(
    caplog: pytest.LogCaptureFixture, request_class: type
) -> None:
    # It was handed None, and failed with "'NoneType' object has no
    # attribute 'headers'", naming neither the client nor the fix.
    api = Ajax()

    def agent(request: Any) -> dict[str, str]:
        return {"agent": request.headers.get("User-Agent", "")}

    agent.__annotations__["request"] = request_class
    api.endpoint("agent")(agent)
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        assert Client(api).get("/ajax/agent").status == 500
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert any("agent" in m and "framework's own test client" in m for m in messages), messages
    assert not any("NoneType" in m for m in messages), messages


@pytest.mark.parametrize(
    "response",
    [JsonResponse({"a": 1}), flask.Response("a"), JSONResponse({"a": 1})],
    ids=["django", "flask", "starlette"],
)
def test_a_frameworks_response_says_the_client_cannot_send_it(
    caplog: pytest.LogCaptureFixture, response: Any
) -> None:
    # The log advised teaching the encoder the response's type, which
    # would have sent it as JSON data.
    api = Ajax()
    api.add("made", lambda: response)
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        assert Client(api).get("/ajax/made").status == 500
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert not any("register(" in m for m in messages), messages
    assert any("framework's own test client" in m for m in messages), messages
