"""Hooks see the request they answer (``self.request``), on every backend;
the simple ``(user, obj)`` signatures are unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change, ModelEndpoint, action
from ajaxkit.types import Headers, MultiDict
from tests.models.backends import Backend

HOOKS: list[tuple[str, bool]] = []


class HeaderGuarded(ModelEndpoint):
    """Every decision reads a header of the request being answered."""

    fields = ("id", "title", "status")

    def _allowed(self, hook: str) -> bool:
        HOOKS.append((hook, self.request.headers.get("x-trace") == "on"))
        return self.request.headers.get("x-deny") != hook

    def get_queryset(self, request: AjaxRequest) -> Any:
        self._allowed("get_queryset")
        return super().get_queryset(request)

    def can_list(self, user: Any) -> bool:
        return self._allowed("list")

    def can_get(self, user: Any, obj: Any) -> bool:
        return self._allowed("get")

    def can_create(self, user: Any, obj: Any) -> bool:
        return self._allowed("create")

    def can_update(self, user: Any, obj: Any) -> bool:
        return self._allowed("update")

    def can_delete(self, user: Any, obj: Any) -> bool:
        return self._allowed("delete")

    def created(self, request: AjaxRequest, change: Change) -> None:
        HOOKS.append(("created", self.request is request))

    def updated(self, request: AjaxRequest, change: Change) -> None:
        HOOKS.append(("updated", self.request is request))

    @action
    def publish(self, request: AjaxRequest, obj: Any) -> None:
        HOOKS.append(("publish", self.request is request))
        self.write(request, obj, {"status": "published"})


@pytest.fixture
def api(backend: Backend) -> Iterator[Ajax]:
    backend.reset()
    HOOKS.clear()
    api = Ajax()
    api.model(backend.models.Note, HeaderGuarded, resource="notes", **backend.options())
    yield api


def test_can_hooks_decide_from_the_request(client: Any) -> None:
    trace = {"X-Trace": "on"}
    created = client.post("/ajax/notes", json={"title": "t"}, headers=trace)
    assert created.status == 201, created.json()
    url = f"/ajax/notes/{created.json()['id']}"

    def answer(hook: str, headers: dict[str, str]) -> Any:
        if hook == "update":
            return client.patch(url, json={"title": "u"}, headers=headers)
        return client.get(url if hook == "get" else "/ajax/notes", headers=headers)

    for hook in ("get", "list", "update"):
        assert answer(hook, {**trace, "X-Deny": hook}).status == 403, hook
        assert answer(hook, trace).status == 200, hook
    refused = client.post("/ajax/notes", json={"title": "t"}, headers={"X-Deny": "create"})
    assert refused.status == 403
    assert client.delete(url, headers={"X-Deny": "delete"}).status == 403
    assert client.delete(url, headers=trace).status == 204
    assert {hook for hook, _ in HOOKS} >= {"get_queryset", "list", "get", "update", "delete"}


def test_after_commit_hooks_and_actions_run_on_the_same_request(client: Any) -> None:
    note = client.post("/ajax/notes", json={"title": "t"}).json()
    assert client.post(f"/ajax/notes/{note['id']}/publish").status == 200
    assert [entry for entry in HOOKS if entry[0] in ("created", "publish", "updated")] == [
        ("created", True),
        ("publish", True),
        ("updated", True),
    ]


def test_request_outside_a_request_is_a_clear_error(backend: Backend) -> None:
    from ajaxkit.core.models.repository import repository_for

    endpoint = HeaderGuarded(
        backend.models.Note, repository_for(backend.models.Note, **backend.options())
    )
    with pytest.raises(RuntimeError, match=r"HeaderGuarded\.request is only set"):
        endpoint.request
    request = AjaxRequest(method="GET", path="/", route="", headers=Headers(), query=MultiDict())
    bound = endpoint.bind(request)
    bound.note = "per request"  # type: ignore[attr-defined]
    assert (bound.request, bound.model, type(bound)) == (request, endpoint.model, HeaderGuarded)
    assert not hasattr(endpoint, "note")
    with pytest.raises(RuntimeError):
        endpoint.request


def test_an_update_validates_its_body_before_reading_the_row(client: Any) -> None:
    # docs/models.md's order: a body that cannot be written is refused
    # before the row is looked up, so it never takes the row's lock, and
    # the answer is the same whether the row exists, is hidden or refused.
    note = client.post("/ajax/notes", json={"title": "t"}).json()
    invalid = {"title": ["not", "text"]}
    HOOKS.clear()
    for url, headers in [
        ("/ajax/notes/999999", {}),
        (f"/ajax/notes/{note['id']}", {"X-Deny": "update"}),
        (f"/ajax/notes/{note['id']}", {"If-Match": '"stale"'}),
    ]:
        answer = client.patch(url, json=invalid, headers=headers)
        assert answer.status == 422, (url, headers, answer.json())
    assert HOOKS == []  # neither the scope nor can_update was asked
