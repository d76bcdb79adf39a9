"""api.batch() options: the batch request's own policy steps, and its registration errors."""

from __future__ import annotations

from typing import Any

import pytest

from ajaxkit import Ajax, RegistrationError
from ajaxkit.testing import Client


def _api(**options: Any) -> Ajax:
    api = Ajax()

    @api.endpoint
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    api.batch(max_items=3, **options)
    return api


def test_the_batch_request_takes_step_options() -> None:
    client = Client(_api(login_required=True))
    response = client.post("/ajax/_batch", json={"items": [{"path": "hello"}]})
    assert response.status == 401
    client.login(type("User", (), {"is_authenticated": True})())
    answer = client.post("/ajax/_batch", json={"items": [{"path": "hello"}]})
    assert answer.json()["items"][0]["body"] == {"hello": "world"}


def test_an_unknown_option_is_a_registration_error() -> None:
    with pytest.raises(RegistrationError, match="login_requried"):
        _api(login_requried=True)


def test_max_items_must_be_positive() -> None:
    with pytest.raises(RegistrationError, match="max_items"):
        Ajax().batch(max_items=0)
