"""The core view wrapper behind every ``@ajax``: what one wrapped view holds and reuses.

Django's ``method_decorator`` applies its decorator on every call, to a
fresh ``partial`` over the method bound to that call's instance: the
wrapper must reuse what it learned about the method and still call the
method on the instance of each call.
"""

from __future__ import annotations

import functools
import gc
import json
import weakref
from collections.abc import Callable
from typing import Any

from ajaxkit.core.config import settings_from_config
from ajaxkit.core.platform import REFERENCE
from ajaxkit.core.settings import Settings
from ajaxkit.core.wrapper import ViewDecorator, WrappedView, WrappedViews
from ajaxkit.types import AjaxRequest, Headers, MultiDict


def get(query: dict[str, str]) -> AjaxRequest:
    """A GET as an integration hands it to a wrapped view."""
    return AjaxRequest(
        method="GET",
        path="/view",
        route="",
        headers=Headers([]),
        query=MultiDict(list(query.items())),
    )


class Greeter:
    """A class whose method is decorated per call, as ``method_decorator`` does."""

    def __init__(self, name: str) -> None:
        self.name = name

    def greet(self, request: Any, punctuation: str = "!") -> dict[str, str]:
        return {"greeting": f"hello {self.name}{punctuation}"}


def per_call(method: Any) -> Any:
    """What ``method_decorator`` hands its decorator: a partial over the bound method."""
    return functools.wraps(Greeter.greet)(functools.partial(method))


class Owner:
    """What a configuration is keyed by (a Flask app, Django's settings)."""


OWNER = Owner()


def _unconfigured(declared: Settings) -> Settings:
    """Resolved over an empty configuration."""
    return settings_from_config(declared, {})


def answer(decorate: ViewDecorator, view: Any, query: dict[str, str]) -> Any:
    response = decorate(view).dispatch(OWNER, _unconfigured, get(query), REFERENCE)
    assert response.status == 200, response.body
    return json.loads(response.body)


def test_a_wrapped_view_serves_its_own_route_alone() -> None:
    # No registry per view: no client asset, OpenAPI document or CSRF route.
    def view(request: Any) -> None:
        return None

    wrapped = ViewDecorator()(view)
    assert [route.pattern for route in wrapped.router] == [""]


def test_a_method_decorated_per_call_is_analysed_once() -> None:
    decorate = ViewDecorator(methods=["GET"])
    first = decorate(per_call(Greeter("ada").greet))
    second = decorate(per_call(Greeter("bob").greet))
    assert second.endpoint.shape is first.endpoint.shape
    assert second.endpoint.steps is first.endpoint.steps


def test_each_call_runs_the_method_on_its_own_instance() -> None:
    decorate = ViewDecorator(methods=["GET"])
    ada = answer(decorate, per_call(Greeter("ada").greet), {"punctuation": "?"})
    bob = answer(decorate, per_call(Greeter("bob").greet), {})
    assert (ada, bob) == ({"greeting": "hello ada?"}, {"greeting": "hello bob!"})


def test_a_view_without_settings_registers_as_with_ajaxkits_defaults() -> None:
    # Decorating makes no Settings() (each makes its own stores): the
    # defaults it reads instead must stay those of Settings().
    def view(request: Any) -> None:
        return None

    bare = WrappedView(view).endpoint
    explicit = WrappedView(view, settings=Settings()).endpoint
    assert bare.methods == explicit.methods
    steps = {method: [b.step for b in bare.steps_for(method)] for method in bare.methods}
    assert steps == {m: [b.step for b in explicit.steps_for(m)] for m in explicit.methods}


# -- WrappedViews: which views @ajax wrapped, to find one routed without it --


def wrapping(view: Any) -> Any:
    """A decorator of the application's own, keeping ``__wrapped__``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    return wrapper


def test_a_route_serving_a_wrapped_view_as_written_is_found() -> None:
    def note() -> None: ...

    def home() -> None: ...

    views, wrapper = WrappedViews(), wrapping(note)
    views.add(note, wrapper)
    routes = {"note": note, "ajax_note": wrapper, "home": home}
    assert views.unwrapped(routes) == {"note": note}


def test_what_the_view_itself_wraps_is_remembered_too() -> None:
    # @ajax above another decorator above the route: the route holds the
    # function under the other decorator.
    def note() -> None: ...

    views, inner = WrappedViews(), wrapping(note)
    views.add(inner, wrapping(inner))
    assert views.unwrapped({"note": note, "inner": inner}) == {"note": note, "inner": inner}


def test_a_wrapper_wrapped_again_is_not_an_unwrapped_view() -> None:
    def note() -> None: ...

    views, first = WrappedViews(), wrapping(note)
    views.add(note, first)
    decorated = wrapping(first)  # served under a decorator of the application's
    views.add(first, wrapping(first))
    views.add(decorated, wrapping(decorated))
    assert views.unwrapped({"first": first, "decorated": decorated}) == {}


def test_a_wrapped_cycle_ends_the_walk() -> None:
    def note() -> None: ...

    views, loop = WrappedViews(), wrapping(note)
    note.__wrapped__ = loop  # type: ignore[attr-defined]
    views.add(loop, wrapping(loop))
    assert views.unwrapped({"note": note, "loop": loop}) == {"note": note, "loop": loop}


class Unhashable:
    """A callable view comparing by value (a dataclass's ``eq`` drops ``__hash__``)."""

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)

    def __call__(self) -> None: ...


def test_views_are_compared_by_identity_never_hashed() -> None:
    views, wrapped = WrappedViews(), Unhashable()
    views.add(wrapped, wrapping(wrapped))
    # An equal but distinct callable is another view; asking about an
    # unhashable one (or one that cannot be weakly referenced) raises nothing.
    routes: dict[str, Callable[..., Any]] = {"same": wrapped, "equal": Unhashable(), "builtin": len}
    assert views.unwrapped(routes) == {"same": wrapped}


def test_remembering_keeps_no_view_alive() -> None:
    def note() -> None: ...

    views, alive = WrappedViews(), weakref.ref(note)
    views.add(note, wrapping(note))
    del note
    gc.collect()
    assert alive() is None
