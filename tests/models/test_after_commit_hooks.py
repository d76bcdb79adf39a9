"""Work that runs after a write has committed never changes the write's answer.

A ``created``/``updated``/``deleted`` hook, a resource observer, a
``live.model`` topics function or the broker's publish may raise once the
row is stored.  The write is then answered as what it is, committed (201,
200, 204 with the record), the failure is logged once with an error id, and
the remaining after-commit work still runs; an idempotent retry replays the
stored success, and an atomic batch stays ``committed: true``.  On both ORMs,
SQLite and PostgreSQL, on the reference client (the conformance suite runs
the same on every framework: rule P8).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change, ModelEndpoint
from ajaxkit.live import Live, MemoryBroker
from tests.models.backends import Backend
from tests.models.clients import Client

TOPIC = "notes/all"
#: The after-commit steps a test makes raise.
FAILING: set[str] = set()
#: The steps that ran, in order.
RAN: list[str] = []
STEPS = ("hook", "observer", "topics", "publish")


class Broken(RuntimeError):
    """What a failing step raises."""


def _step(name: str) -> None:
    if name in FAILING:
        raise Broken(f"{name} failed after the commit")
    RAN.append(name)


class FailingBroker(MemoryBroker):
    """A real in-memory broker whose publish fails on demand (Redis down)."""

    def publish(self, topic: str, data: bytes) -> str:
        _step("publish")
        return super().publish(topic, data)


class Fragile(ModelEndpoint):
    fields = ("id", "title", "status")

    def created(self, request: AjaxRequest, change: Change) -> None:
        _step("hook")

    def updated(self, request: AjaxRequest, change: Change) -> None:
        _step("hook")

    def deleted(self, request: AjaxRequest, change: Change) -> None:
        _step("hook")


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    """Every store, on the reference client: after-commit work runs in the
    model layer, the same under every transport (see rule P8's tests)."""
    return reference_combination


@pytest.fixture
def broker() -> FailingBroker:
    return FailingBroker()


@pytest.fixture
def api(backend: Backend, broker: FailingBroker) -> Iterator[Ajax]:
    backend.reset()
    FAILING.clear()
    RAN.clear()
    api = Ajax()
    api.batch()
    resource = api.model(backend.models.Note, Fragile, resource="notes", **backend.options())
    # Registered before live.model's: a failing observer must not starve it.
    resource.observers.append(lambda request, change: _step("observer"))

    def topics(record: Any) -> list[str]:
        _step("topics")
        return [TOPIC]

    live = Live(api, broker)
    live.topic(TOPIC)
    live.model(backend.models.Note, topics=topics)
    resource.observers.append(lambda request, change: _step("probe"))
    yield api
    FAILING.clear()


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ajaxkit" and r.levelno >= logging.ERROR]


def _logged_once(caplog: pytest.LogCaptureFixture, step: str) -> None:
    (record,) = _errors(caplog)
    assert isinstance(record.exc_info, tuple) and isinstance(record.exc_info[1], Broken)
    assert f"{step} failed" in record.getMessage()
    error_id = getattr(record, "error_id", "")
    assert len(error_id) == 36 and error_id in record.getMessage()
    assert "after commit" in record.getMessage()


def _published(client: Client, broker: FailingBroker) -> list[str]:
    params = {"topic": TOPIC, "cursor": _start(broker), "timeout": 0}
    response = client.get("/ajax/_live/poll", params=params)
    return [event["data"]["action"] for event in response.json()["events"]]


def _start(broker: FailingBroker) -> str:
    return f"{broker.epoch}:0"


def _still_ran(step: str) -> list[str]:
    """What must have run for one change when ``step`` failed."""
    after = {
        "hook": ["observer", "topics", "publish"],
        "observer": ["hook", "topics", "publish"],
        "topics": ["hook", "observer"],
        "publish": ["hook", "observer", "topics"],
        "user": ["hook", "observer", "topics", "publish"],
    }[step]
    return sorted([*after, "probe"])


@pytest.mark.parametrize("step", STEPS)
def test_a_failing_after_commit_step_leaves_the_write_answered_as_committed(
    client: Client,
    backend: Backend,
    broker: FailingBroker,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    FAILING.add(step)
    answers = []
    for write in ("create", "update", "delete"):
        RAN.clear()
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            if write == "create":
                response = client.post("/ajax/notes", json={"title": "kept"})
                assert response.status == 201, response.content
                assert response.json()["title"] == "kept"
                assert backend.titles() == ["kept"]
                url = f"/ajax/notes/{response.json()['id']}"
            elif write == "update":
                response = client.patch(url, json={"title": "renamed"})
                assert response.status == 200, response.content
                assert response.json()["title"] == "renamed"
                assert backend.titles() == ["renamed"]
            else:
                response = client.delete(url)
                assert response.status == 204, response.content
                assert backend.titles() == []
        answers.append(response.status)
        _logged_once(caplog, step)
        assert sorted(RAN) == _still_ran(step), write
    assert answers == [201, 200, 204]
    published = _published(client, broker)
    expected = [] if step in ("topics", "publish") else ["created", "updated", "deleted"]
    assert published == expected


@pytest.mark.parametrize("step", STEPS)
def test_an_idempotent_retry_replays_the_stored_success(
    client: Client, backend: Backend, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    FAILING.add(step)
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        first = client.post("/ajax/notes", json={"title": "once"}, headers=key)
        again = client.post("/ajax/notes", json={"title": "once"}, headers=key)
    assert (first.status, again.status) == (201, 201), first.content
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert backend.titles() == ["once"]
    _logged_once(caplog, step)


@pytest.mark.parametrize("step", STEPS)
def test_an_atomic_batch_stays_committed(
    client: Client,
    backend: Backend,
    broker: FailingBroker,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    FAILING.add(step)
    items = [{"method": "POST", "path": "notes", "body": {"title": t}} for t in ("a", "b")]
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response.content
    answer = response.json()
    assert answer["committed"] is True
    assert [item["status"] for item in answer["items"]] == [201, 201]
    assert sorted(backend.titles()) == ["a", "b"]
    # Each change's failure is its own record; every other step ran for both.
    assert len(_errors(caplog)) == 2
    assert sorted(RAN) == sorted(_still_ran(step) * 2)
    expected = [] if step in ("topics", "publish") else ["created", "created"]
    assert _published(client, broker) == expected


def test_a_redis_broker_that_cannot_be_reached_loses_only_the_event(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    from ajaxkit.live.redis import RedisBroker
    from tests.conformance.clients.reference import ReferenceClient

    backend.reset()
    api = Ajax()
    api.model(backend.models.Note, resource="notes", **backend.options())
    # Nothing listens on port 1: every publish is refused at once.
    live = Live(api, RedisBroker("redis://127.0.0.1:1/0", namespace=f"t{uuid.uuid4().hex}"))
    live.model(backend.models.Note)
    client = ReferenceClient(apis={"/ajax": api})
    client.login("alice")
    try:
        with caplog.at_level(logging.ERROR, logger="ajaxkit"):
            response = client.post("/ajax/notes", json={"title": "stored"})
    finally:
        client.close()
    assert response.status == 201, response.content
    assert backend.titles() == ["stored"]
    (record,) = _errors(caplog)
    assert getattr(record, "error_id", "") in record.getMessage()


@contextlib.contextmanager
def _failing_user_hook(backend: Backend) -> Iterator[None]:
    """The application's own after-commit code, raising for every write:
    on Django a ``post_save`` handler that registers a ``transaction.on_commit``
    hook, on SQLAlchemy an ``after_commit`` listener of the session factory."""
    FAILING.add("user")
    if backend.name.startswith("django"):
        from django.db import transaction
        from django.db.models.signals import post_save

        def saved(sender: Any, using: str, **kwargs: Any) -> None:
            transaction.on_commit(lambda: _step("user"), using=using)

        post_save.connect(saved, sender=backend.models.Note, dispatch_uid="user-hook")
        try:
            yield
        finally:
            post_save.disconnect(sender=backend.models.Note, dispatch_uid="user-hook")
        return
    from sqlalchemy import event

    def committed(session: Any) -> None:
        _step("user")

    factory = backend.options()["session"]
    event.listen(factory, "after_commit", committed)
    try:
        yield
    finally:
        event.remove(factory, "after_commit", committed)


def test_the_applications_own_after_commit_hook_failing_leaves_the_write_committed(
    client: Client,
    backend: Backend,
    broker: FailingBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _failing_user_hook(backend), caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.post("/ajax/notes", json={"title": "kept"})
    assert response.status == 201, response.content
    assert response.json()["title"] == "kept"
    assert backend.titles() == ["kept"]
    _logged_once(caplog, "user")
    # The endpoint's own after-commit work, registered after the user's
    # hook, still ran: the hook, the observers, the live publication.
    assert sorted(RAN) == _still_ran("user")
    assert _published(client, broker) == ["created"]


def test_the_applications_own_after_commit_hook_failing_on_an_update(
    client: Client, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    created = client.post("/ajax/notes", json={"title": "kept"})
    RAN.clear()
    with _failing_user_hook(backend), caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.patch(f"/ajax/notes/{created.json()['id']}", json={"title": "new"})
    assert response.status == 200, response.content
    assert response.json()["title"] == "new"
    assert backend.titles() == ["new"]
    _logged_once(caplog, "user")
    assert sorted(RAN) == _still_ran("user")


def test_a_read_runs_no_after_commit_hook_of_the_application(
    client: Client, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    created = client.post("/ajax/notes", json={"title": "kept"})
    with _failing_user_hook(backend), caplog.at_level(logging.ERROR, logger="ajaxkit"):
        listed = client.get("/ajax/notes")
        shown = client.get(f"/ajax/notes/{created.json()['id']}")
    # A read commits nothing: no hook of a commit runs, none can fail.
    assert (listed.status, shown.status) == (200, 200), listed.content
    assert [note["title"] for note in listed.json()["results"]] == ["kept"]
    assert _errors(caplog) == []
