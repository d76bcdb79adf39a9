from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest, MethodNotAllowed, NotFound
from ajaxkit.core.routing import Router, mount_path
from ajaxkit.exceptions import RegistrationError


def handler(request):  # type: ignore[no-untyped-def]
    return {}


def test_static_and_templated_routes_match() -> None:
    api = Ajax()
    api.add("notes", handler)
    api.add("notes/{pk}", handler, methods=["GET"])
    api.add("files/{rest:path}", handler)
    assert api.router.match("notes")[1] == {}
    assert api.router.match("/notes/7/")[1] == {"pk": "7"}
    assert api.router.match("files/a/b.txt")[1] == {"rest": "a/b.txt"}


def test_int_converter_refuses_non_digits() -> None:
    router = Router()
    router.route("n/{pk:int}")
    with pytest.raises(NotFound):
        router.match("n/abc")


def test_unknown_converter_is_refused_at_registration() -> None:
    with pytest.raises(RegistrationError, match="converter"):
        Router().route("a/{x:float}")


def test_same_route_and_method_twice_is_refused() -> None:
    api = Ajax()
    api.add("notes", handler, methods=["GET"])
    api.add("notes", handler, methods=["POST"])  # another method: fine
    with pytest.raises(RegistrationError, match="already registered"):
        api.add("/notes/", handler, methods=["get"])


def _search_in(module: str) -> Callable[..., Any]:
    def search(request: AjaxRequest) -> None: ...

    search.__module__ = module
    return search


def test_a_clash_between_two_modules_names_both_modules() -> None:
    # Two modules each with a `def search` under @api.endpoint: the message
    # read "'search (search)' is already registered to 'search (search)'",
    # leaving the reader to guess which file holds the other one.
    api = Ajax()
    api.endpoint(_search_in("shop.users"))
    clash = r"'shop\.notes\..*search \(search\)'.*registered to 'shop\.users\..*search \(search\)'"
    with pytest.raises(RegistrationError, match=clash):
        api.endpoint(_search_in("shop.notes"))


def test_methods_per_route_and_allow_lists_head_and_options() -> None:
    api = Ajax()
    api.add("notes", handler, methods=["GET"])
    api.add("notes", handler, methods=["POST"])
    route, _ = api.router.match("notes")
    assert route.allowed() == ["GET", "HEAD", "OPTIONS", "POST"]
    with pytest.raises(MethodNotAllowed) as info:
        route.endpoint_for("DELETE")
    assert info.value.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert route.endpoint_for("OPTIONS") is None


def test_misspelt_option_is_refused_not_ignored() -> None:
    # A typo such as login_requred=True must not leave an endpoint open.
    with pytest.raises(TypeError):
        Ajax().add("x", handler, login_requred=True)


@pytest.mark.parametrize(
    ("path", "route", "mount"),
    [
        ("/ajax/notes/7", "notes/7", "/ajax"),
        ("/ajax/notes/7/", "notes/7/", "/ajax"),
        ("/ajax/", "", "/ajax"),
        ("/ajax", "", "/ajax"),
        ("/notes", "notes", ""),
        ("/", "", ""),
        ("/api/v1/ajax/x", "x", "/api/v1/ajax"),
        ("/ajax/caf%C3%A9", "café", None),  # one decoded, one not: no guess
        ("/ajax/xnotes", "notes", None),
    ],
)
def test_mount_path_is_the_path_less_its_route(path: str, route: str, mount: str | None) -> None:
    assert mount_path(path, route) == mount
