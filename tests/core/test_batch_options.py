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


#: Calls of the ``wait`` endpoint, to tell a refused item from one run.
ran: list[bool] = []


def _waiting_api(**flag: Any) -> Ajax:
    api = Ajax()

    @api.endpoint("wait", **flag)
    def wait() -> dict[str, bool]:
        ran.append(True)
        return {"waited": True}

    @api.endpoint
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    api.batch(max_items=3)
    return api


def test_an_unbatchable_endpoint_is_refused_as_an_item_before_it_runs() -> None:
    ran.clear()
    client = Client(_waiting_api(unbatchable="it waits for a signal before it answers."))
    assert client.get("/ajax/wait").json() == {"waited": True}  # alone, it answers
    items = [{"path": "wait"}, {"path": "hello"}]
    answers = client.post("/ajax/_batch", json={"items": items}).json()["items"]
    assert [a["status"] for a in answers] == [400, 200]
    assert answers[0]["body"]["code"] == "bad_request"
    assert answers[0]["body"]["detail"] == (
        "GET wait cannot be an item of a batch: it waits for a signal before it answers."
    )
    assert ran == [True]  # only the request sent alone


@pytest.mark.parametrize("value", ["", "  ", True, 1])
def test_unbatchable_must_be_a_reason(value: Any) -> None:
    with pytest.raises(RegistrationError, match=r"wait \(wait\)'.*unbatchable"):
        _waiting_api(unbatchable=value)


def test_a_batch_is_unbatchable_whatever_its_route() -> None:
    api = _waiting_api()
    api.batch("_tokens", max_items=3)
    inner = {"items": [{"path": "hello"}]}
    for outer, nested in (("_batch", "_tokens"), ("_tokens", "_batch")):
        item = {"method": "POST", "path": nested, "body": inner}
        answer = Client(api).post(f"/ajax/{outer}", json={"items": [item]}).json()["items"][0]
        assert (answer["status"], answer["body"]["detail"]) == (
            400,
            f"POST {nested} cannot be an item of a batch: it is a batch, "
            "and a batch cannot contain a batch.",
        )
