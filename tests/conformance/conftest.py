"""Parametrizes every conformance test over every integration's client."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator

import pytest

from tests.conformance import clients as clients_package
from tests.conformance.clients.base import CLIENTS, Client

for _module in pkgutil.iter_modules(clients_package.__path__):
    if _module.name != "base":
        importlib.import_module(f"{clients_package.__name__}.{_module.name}")


def _param(cls: type[Client]) -> object:
    return pytest.param(cls, id=cls.name, marks=[getattr(pytest.mark, m) for m in cls.marks])


@pytest.fixture(params=[_param(c) for c in CLIENTS], scope="module")
def client_class(request: pytest.FixtureRequest) -> type[Client]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(client_class: type[Client]) -> Iterator[Client]:
    instance = client_class()
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def needs(client: Client) -> Callable[[str], None]:
    """``needs("csrf")`` skips the test for clients without that capability."""

    def require(capability: str) -> None:
        if capability not in client.capabilities:
            pytest.skip(f"{client.name} has no {capability!r} capability")

    return require
