"""Mounting a registry on FastAPI inspects each endpoint at most once, ever.

The FastAPI checks (``Depends``, ``UploadFile``) run at registration once
``ajaxkit.fastapi`` is imported; mounting re-runs them only for endpoints
registered before that, and only the first time.  Calls are counted, not
timed: each ``typing.get_type_hints`` of a handler is the costly part.
"""

from __future__ import annotations

import typing
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

import ajaxkit.core.platform
import ajaxkit.fastapi
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.fastapi

#: Each way of serving a registry on FastAPI.
MOUNTS: dict[str, Callable[[Ajax], object]] = {
    "app": ajaxkit.fastapi.app,
    "mount": lambda api: ajaxkit.fastapi.mount("/ajax", api),
    "mount with openapi": lambda api: ajaxkit.fastapi.mount("/ajax", api, app=FastAPI()),
    "front": lambda api: ajaxkit.fastapi.front(api, FastAPI()),
}


@pytest.fixture
def inspected(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """The handlers ``typing.get_type_hints`` reads, by name, from now on."""
    seen: Counter[str] = Counter()
    real = typing.get_type_hints

    def counting(obj: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        seen[getattr(obj, "__qualname__", repr(obj))] += 1
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(typing, "get_type_hints", counting)
    yield seen


def _register(api: Ajax) -> None:
    @api.endpoint
    def hello(request: AjaxRequest, name: str = "world") -> dict[str, str]:
        return {"hello": name}

    @api.endpoint("sum", methods=["POST"])
    def add(request: AjaxRequest, a: int, b: int) -> int:
        return a + b


#: The handlers _register registers, by qualified name.
HANDLERS = ("_register.<locals>.hello", "_register.<locals>.add")


def _handlers(seen: Counter[str]) -> Counter[str]:
    return Counter({name: n for name, n in seen.items() if name.startswith("_register.")})


@pytest.mark.parametrize("serve", MOUNTS.values(), ids=MOUNTS.keys())
def test_mounting_an_endpoint_registered_after_the_import_inspects_nothing(
    serve: Callable[[Ajax], object], inspected: Counter[str]
) -> None:
    api = Ajax()
    _register(api)
    inspected.clear()
    serve(api)
    serve(api)
    assert _handlers(inspected) == Counter()


@pytest.mark.parametrize("serve", MOUNTS.values(), ids=MOUNTS.keys())
def test_mounting_twice_inspects_an_endpoint_registered_before_the_import_once(
    serve: Callable[[Ajax], object], inspected: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if ajaxkit.fastapi had not been imported yet when the endpoints were registered.
    declared = {k: v for k, v in ajaxkit.core.platform._DECLARED.items() if k != "fastapi"}
    with monkeypatch.context() as unaware:
        unaware.setattr(ajaxkit.core.platform, "_DECLARED", declared)
        api = Ajax()
        _register(api)
    inspected.clear()
    serve(api)
    serve(api)
    assert _handlers(inspected) == Counter(HANDLERS)


def test_an_endpoint_added_after_mounting_is_checked_at_the_next_mount(
    inspected: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Ajax()
    ajaxkit.fastapi.mount("/ajax", api)
    declared = {k: v for k, v in ajaxkit.core.platform._DECLARED.items() if k != "fastapi"}
    with monkeypatch.context() as unaware:
        unaware.setattr(ajaxkit.core.platform, "_DECLARED", declared)
        _register(api)
    inspected.clear()
    ajaxkit.fastapi.mount("/ajax", api)
    assert set(_handlers(inspected)) == set(HANDLERS)
