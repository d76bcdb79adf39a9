"""A registration that adds several routes takes effect whole or not at all.

``api.model(...)``, ``Live(api)`` and others add their routes one by one; a
clash on the third used to leave the first two registered, a half-served
resource that answers some methods and 404s or 405s others.  The route
tables are put back as they were when any part fails.
"""

from __future__ import annotations

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.exceptions import RegistrationError


def first(request: AjaxRequest) -> None: ...


def second(request: AjaxRequest) -> None: ...


def third(request: AjaxRequest) -> None: ...


def routes(api: Ajax) -> dict[str, dict[str, object]]:
    """Every route's endpoints by method: what a failed registration must leave alone."""
    return {route.pattern: dict(route.endpoints) for route in api.router}


def test_a_failed_block_leaves_the_routes_as_they_were() -> None:
    api = Ajax()
    api.add("notes/{pk}", first, methods=["DELETE"])
    before = routes(api)
    clash = r"third \(notes/\{pk\}\).*first"
    with pytest.raises(RegistrationError, match=clash), api.registering():
        api.add("notes", second, methods=["GET"])
        api.add("notes/{pk}", second, methods=["GET"])
        api.add("notes/{pk}", third, methods=["DELETE"])
    assert routes(api) == before


def test_a_block_that_succeeds_keeps_every_route() -> None:
    api = Ajax()
    with api.registering():
        api.add("a", first)
        api.add("b", second)
    assert {"a", "b"} <= routes(api).keys()


def test_blocks_nest_and_only_the_outer_one_restores() -> None:
    api = Ajax()
    before = routes(api)
    with pytest.raises(RegistrationError), api.registering():
        api.add("a", first)
        with api.registering():
            api.add("b", second)
        api.add("a", third)
    assert routes(api) == before


def test_any_error_restores_not_only_registration_errors() -> None:
    api = Ajax()
    before = routes(api)
    with pytest.raises(KeyError), api.registering():
        api.add("a", first)
        raise KeyError("boom")
    assert routes(api) == before


def test_an_inner_block_caught_inside_an_outer_one_undoes_only_itself() -> None:
    api = Ajax()
    with api.registering():
        api.add("a", first)
        with pytest.raises(RegistrationError), api.registering():
            api.add("b", second)
            api.add("a", third)
        api.add("c", third)
    assert {"a", "c"} <= routes(api).keys()
    assert "b" not in routes(api)
