"""The types of the model tests' client fixtures (see ``conftest.py``)."""

from __future__ import annotations

from typing import Protocol

from tests.conformance.clients.base import Client

__all__ = ["Client", "MakeClient"]


class MakeClient(Protocol):
    """The ``make_client`` fixture: another client on the same app."""

    def __call__(self, username: str | None = None) -> Client: ...
