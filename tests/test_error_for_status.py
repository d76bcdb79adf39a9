"""exceptions.error_for_status: a foreign "HTTP error N" mapped onto the tree."""

from __future__ import annotations

import pytest

from ajaxkit.exceptions import (
    AjaxError,
    ClientError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ClientError),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (413, PayloadTooLarge),
        (500, ServerError),
        (503, ServiceUnavailable),
    ],
)
def test_the_trees_own_class_is_used(status: int, cls: type[AjaxError]) -> None:
    error = error_for_status(status, "why", {"X-A": "1"})
    assert type(error) is cls
    assert (error.detail, error.headers) == ("why", {"X-A": "1"})


def test_other_statuses_get_a_class_named_after_the_phrase() -> None:
    teapot = error_for_status(418)
    assert isinstance(teapot, ClientError)
    assert (teapot.status, teapot.code, teapot.title) == (418, "im_a_teapot", "I'm a Teapot")
    assert type(error_for_status(418)) is type(teapot)  # made once per status


def test_classes_needing_more_arguments_are_not_borrowed() -> None:
    # MethodNotAllowed needs the allowed methods, which a foreign error lacks.
    error = error_for_status(405, headers={"Allow": "GET"})
    assert (error.status, error.code, error.headers) == (
        405,
        "method_not_allowed",
        {"Allow": "GET"},
    )


def test_server_statuses_hide_their_detail() -> None:
    error = error_for_status(502, "upstream at 10.0.0.3 down")
    assert isinstance(error, ServerError)
    assert not error.expose
    assert error_for_status(599).code == "http_599"
