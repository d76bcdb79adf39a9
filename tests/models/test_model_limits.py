"""Model endpoints take the policy steps' options: ``rate=`` and ``idempotency=``."""

from __future__ import annotations

import uuid
from typing import Any

from ajaxkit import Ajax
from ajaxkit.core.clock import ManualClock
from tests.models.backends import Backend


def _client(backend: Backend, combination: tuple[Backend, str], api: Ajax) -> Any:
    from tests.models.conftest import _client_class

    client = _client_class(combination[1])(apis={"/ajax": api})
    client.login("alice")
    return client


def test_model_routes_are_rate_limited_and_idempotent(
    backend: Backend, combination: tuple[Backend, str]
) -> None:
    backend.reset()
    api = Ajax(clock=ManualClock())
    resource = api.model(backend.models.Tag, rate="3/minute", **backend.options())
    client = _client(backend, combination, api)
    try:
        url = f"/ajax/{resource.name}"
        key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        created = client.post(url, json={"slug": "red", "label": "Red"}, headers=key)
        replayed = client.post(url, json={"slug": "red", "label": "Red"}, headers=key)
        assert created.status == replayed.status == 201, created.content
        assert replayed.json() == created.json()
        assert replayed.headers["idempotent-replayed"] == "true"
        assert created.headers["ratelimit"].startswith('"3/minute";r=2;')
        listed = client.get(url)
        assert listed.json()["count"] == 1
        # Each route of the model counts on its own: the list has used one.
        assert listed.headers["ratelimit"].startswith('"3/minute";r=2;')
        third = client.post(url, json={"slug": "blue", "label": "Blue"})
        fourth = client.post(url, json={"slug": "green", "label": "Green"})
        assert (third.status, fourth.status) == (201, 429)
    finally:
        client.close()
