"""``ajaxkit.testing.Client`` calls the paths under its mount, as a mounted app is called."""

from __future__ import annotations

import pytest

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
