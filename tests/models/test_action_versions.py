"""An ``@action`` that writes a record is an update: a versioned record gets a new version,
and the ``updated`` hook runs, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change, ModelEndpoint, action
from ajaxkit.testing import Client
from tests.models.backends import Backend
from tests.models.conftest import BACKENDS, _backend, _param


@pytest.fixture(params=[_param(name, "reference") for name in BACKENDS])
def setup(
    request: pytest.FixtureRequest, backends: dict[str, Backend]
) -> Iterator[tuple[Client, list[Change]]]:
    backend = _backend(request.param[0], backends)
    backend.reset()
    events: list[Change] = []

    class Versioned(ModelEndpoint):
        fields = ("id", "name", "email", "version")
        version_field = "version"

        @action
        def shout(self, request: AjaxRequest, obj: Any) -> None:
            self.write(request, obj, {"name": obj.name.upper()})
            self.write(request, obj, {"email": obj.email.upper()})

        @action
        def noop(self, request: AjaxRequest, obj: Any) -> None:
            pass

        @action
        def tell(self, request: AjaxRequest, obj: Any) -> dict[str, Any]:
            self.write(request, obj, {"name": "told"})
            return {"told": True}

        @action
        def ask(self, request: AjaxRequest, obj: Any) -> dict[str, Any]:
            return {"name": obj.name}

        def updated(self, request: AjaxRequest, change: Change) -> None:
            events.append(change)

    api = Ajax()
    api.model(backend.models.Author, Versioned, resource="authors", **backend.options())
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    yield client, events
    backend.reset()


def test_an_action_that_writes_bumps_the_version(setup: tuple[Client, list[Change]]) -> None:
    # The version stayed: the record changed under the same ETag, so a
    # client holding the tag read before the action overwrote its change.
    client, events = setup
    made = client.post("/ajax/authors", json={"name": "Ann", "email": "ann@x"})
    assert made.status == 201, made.json()
    path = f"/ajax/authors/{made.json()['id']}"
    read = made.headers["ETag"]
    shouted = client.post(f"{path}/shout", headers={"If-Match": read})
    assert shouted.status == 200, shouted.json()
    assert shouted.json()["version"] == made.json()["version"] + 1  # one write, one version
    assert shouted.headers["ETag"] != read
    assert [e.record["name"] for e in events] == ["ANN"]
    stale = client.patch(path, json={"name": "Bob"}, headers={"If-Match": read})
    assert stale.status == 412, stale.json()
    assert client.get(path).json()["name"] == "ANN"
    # An action that writes nothing leaves the version alone.
    quiet = client.post(f"{path}/noop", headers={"If-Match": shouted.headers["ETag"]})
    assert quiet.status == 200, quiet.json()
    assert quiet.headers["ETag"] == shouted.headers["ETag"]
    assert len(events) == 1


def test_an_action_that_writes_and_answers_its_own_result_is_an_update(
    setup: tuple[Client, list[Change]],
) -> None:
    # The updated hook (and so every observer, live updates too) ran only
    # when the action answered the record: one answering its own result
    # changed the row unseen.
    client, events = setup
    made = client.post("/ajax/authors", json={"name": "Ann", "email": "ann@x"}).json()
    path = f"/ajax/authors/{made['id']}"
    asked = client.post(f"{path}/ask")
    assert (asked.status, asked.json()) == (200, {"name": "Ann"})
    assert events == []
    told = client.post(f"{path}/tell")
    assert (told.status, told.json()) == (200, {"told": True})
    assert [(e.action, e.record["name"], e.record["version"]) for e in events] == [
        ("updated", "told", made["version"] + 1)
    ]
