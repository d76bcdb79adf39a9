"""The django-ajaxutils wire format, through the framework-free pipeline."""

from __future__ import annotations

import logging

import pytest

from ajaxkit import Ajax, AjaxRequest, AjaxResponse, Conflict, Settings
from ajaxkit.compat.ajaxutils import AjaxUtilsProfile
from ajaxkit.core.platform import ReferenceNative
from ajaxkit.testing import Client


@pytest.fixture
def client() -> Client:
    api = Ajax(Settings(profile=AjaxUtilsProfile()))

    @api.endpoint("task", methods=["GET"])
    def task(request: AjaxRequest) -> dict[str, str]:
        return {"status": "completed"}

    @api.endpoint("private", methods=["POST"], login_required=True)
    def private(request: AjaxRequest) -> dict[str, str]:
        return {"data": "secret"}

    @api.endpoint("teapot")
    def teapot(request: AjaxRequest) -> tuple[dict[str, str], int]:
        return {"i'm a": "teapot"}, 418

    @api.endpoint("bad-request")
    def bad_request(request: AjaxRequest) -> AjaxResponse:
        # A framework's own error page (Django's HttpResponseBadRequest), as
        # the framework-free platform stands for it.
        return ReferenceNative(
            status=400, body=b"My error message", headers={"Content-Type": "text/html"}
        )

    @api.endpoint("redirect")
    def redirect(request: AjaxRequest) -> AjaxResponse:
        return AjaxResponse(status=302, headers={"Location": "/elsewhere"})

    @api.endpoint("boom")
    def boom(request: AjaxRequest) -> None:
        raise RuntimeError("secret")

    @api.endpoint("nothing")
    def nothing(request: AjaxRequest) -> None:
        return None

    @api.endpoint("no-content")
    def no_content(request: AjaxRequest) -> tuple[None, int]:
        return None, 204

    @api.endpoint("conflict")
    def conflict(request: AjaxRequest) -> None:
        raise Conflict("Already there")

    return Client(api)


def test_success_is_bare_json(client: Client) -> None:
    response = client.get("/ajax/task")
    assert (response.status, response.json()) == (200, {"status": "completed"})


def test_none_is_200_null_as_the_original_answered(client: Client) -> None:
    response = client.get("/ajax/nothing")
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    assert response.content == b"null"


def test_an_explicit_204_still_has_no_body(client: Client) -> None:
    response = client.get("/ajax/no-content")
    assert (response.status, response.content) == (204, b"")


def test_tuple_sets_status(client: Client) -> None:
    response = client.get("/ajax/teapot")
    assert (response.status, response.json()) == (418, {"i'm a": "teapot"})


def test_login_is_checked_before_method(client: Client) -> None:
    response = client.get("/ajax/private")
    assert (response.status, response.json()) == (401, {"status": "error", "error": "Unauthorized"})


def test_wrong_method_has_fixed_message_and_allow(client: Client) -> None:
    client.login(object())
    response = client.get("/ajax/private")
    assert (response.status, response.json()) == (
        405,
        {"status": "error", "error": "Method not allowed"},
    )
    assert response.headers["allow"] == "OPTIONS, POST"


def test_not_found_message(client: Client) -> None:
    response = client.get("/ajax/nope")
    assert (response.status, response.json()) == (404, {"status": "error", "error": "Not found"})


def test_error_response_becomes_envelope_with_its_text(client: Client) -> None:
    response = client.get("/ajax/bad-request")
    assert response.status == 400
    assert response.json() == {"status": "error", "error": "My error message"}


def test_non_error_response_passes_through(client: Client) -> None:
    response = client.get("/ajax/redirect")
    assert (response.status, response.headers["location"]) == (302, "/elsewhere")


def test_unhandled_exception_is_500_in_same_shape(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.CRITICAL, logger="ajaxkit"):
        response = client.get("/ajax/boom")
    assert response.status == 500
    assert response.json() == {"status": "error", "error": "Internal server error"}


def test_raised_client_error_uses_its_detail(client: Client) -> None:
    response = client.get("/ajax/conflict")
    assert (response.status, response.json()) == (
        409,
        {"status": "error", "error": "Already there"},
    )
