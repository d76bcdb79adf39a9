"""Model and plain endpoints under Django's ``ATOMIC_REQUESTS``, through Django's handler.

With ``ATOMIC_REQUESTS`` on for a database, the whole request runs in one
transaction on it, as Django runs its own views: a handler that raises
leaves nothing stored, every handler sees the transaction.  Its commit is
the request's, so after-commit code runs then, and rule P8 holds for it as
for an operation's own commit: an ``on_commit`` hook that raises once the
row is stored (registered by the application's ``post_save`` handler, say)
is logged once with an error id, and the client gets the write's answer,
201 with the record, never a 500 inviting it to send the write again.

Django's own test clients go through its request handler (the part that
makes views atomic), on sync views and on async ones: ajaxkit serves both
alike.  SQLite and PostgreSQL.
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
from ajaxkit.exceptions import Conflict
from tests.models.backends import Backend
from tests.models.clients import Client
from tests.models.conftest import _backend, _param

TRANSPORTS = ("django_sync", "django_async")


class Broken(RuntimeError):
    """What the application's failing code raises."""


@pytest.fixture(
    params=[_param(b, t) for b in ("django-sqlite", "django-postgres") for t in TRANSPORTS]
)
def combination(
    request: pytest.FixtureRequest, backends: dict[str, Backend]
) -> tuple[Backend, str]:
    """Django's ORM on both databases, through Django's sync and async views."""
    name, transport = request.param
    return _backend(name, backends), transport


def _alias(backend: Backend) -> str:
    alias: str = backend.options()["using"]
    return alias


@contextlib.contextmanager
def atomic_requests(alias: str, on: bool = True) -> Iterator[None]:
    """``DATABASES[alias]["ATOMIC_REQUESTS"]`` set to ``on`` for the block.

    The settings dictionary is the one Django's handler reads per request
    (``override_settings(DATABASES=...)`` would rebuild the connections).
    """
    from django.db import connections

    settings = connections.settings[alias]
    before = settings["ATOMIC_REQUESTS"]
    settings["ATOMIC_REQUESTS"] = on
    try:
        yield
    finally:
        settings["ATOMIC_REQUESTS"] = before


@pytest.fixture(autouse=True)
def _atomic(backend: Backend) -> Iterator[None]:
    with atomic_requests(_alias(backend)):
        yield


def _in_block(alias: str) -> bool:
    from django.db import connections

    return bool(connections[alias].in_atomic_block)


@pytest.fixture
def hooks() -> list[tuple[str, bool]]:
    """What each ``created`` hook saw: the title, whether a block was open."""
    return []


@pytest.fixture
def api(backend: Backend, hooks: list[tuple[str, bool]]) -> Iterator[Ajax]:
    backend.reset()
    alias, note = _alias(backend), backend.models.Note
    api = Ajax()
    api.batch()

    class Watched(ModelEndpoint):
        fields = ("id", "title")

        def created(self, request: AjaxRequest, change: Change) -> None:
            # After the commit, the request's: outside any atomic block.
            hooks.append((change.record["title"], _in_block(alias)))

    api.model(note, Watched, resource="notes", **backend.options())

    @api.endpoint("plain/write", methods=["POST"])
    def write(title: str, fail: str = "") -> dict[str, Any]:
        note.objects.using(alias).create(title=title)
        if fail == "refused":
            raise Conflict("The handler refused after writing.")
        if fail == "broken":
            raise Broken("The handler broke after writing.")
        return {"in_block": _in_block(alias)}

    @api.endpoint("plain/awrite", methods=["POST"])
    async def awrite(title: str) -> None:
        # Django's async ORM runs on the request's thread-sensitive thread.
        await note.objects.using(alias).acreate(title=title)
        raise Conflict("The handler refused after writing.")

    @api.endpoint("plain/swallow", methods=["POST"])
    def swallow(title: str) -> dict[str, Any]:
        from django.db import IntegrityError

        first = note.objects.using(alias).create(title=title)
        # Caught without a savepoint: Django can now only roll back.
        with contextlib.suppress(IntegrityError):
            note.objects.using(alias).create(pk=first.pk, title=title)
        return {"id": first.pk}

    @api.endpoint("plain/state")
    def state() -> dict[str, bool]:
        return {"in_block": _in_block(alias)}

    @api.endpoint("plain/databases")
    def databases() -> dict[str, bool]:
        return {name: _in_block(name) for name in sorted({alias, "default"})}

    yield api


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ajaxkit" and r.levelno >= logging.ERROR]


def _logged_once(caplog: pytest.LogCaptureFixture, failure: str) -> None:
    """``failure`` logged once as after-commit work (rule P8): with an error id."""
    (record,) = _errors(caplog)
    assert isinstance(record.exc_info, tuple) and isinstance(record.exc_info[1], Broken)
    error_id = getattr(record, "error_id", "")
    assert len(error_id) == 36 and error_id in record.getMessage()
    assert "after commit" in record.getMessage() and failure in record.getMessage()


@contextlib.contextmanager
def _failing_user_hook(backend: Backend) -> Iterator[None]:
    """The application's own after-commit code: a ``post_save`` handler that
    registers a ``transaction.on_commit`` hook, which raises."""
    from django.db import transaction
    from django.db.models.signals import post_save

    def broken() -> None:
        raise Broken("the application's on_commit hook broke")

    def saved(sender: Any, using: str, **kwargs: Any) -> None:
        transaction.on_commit(broken, using=using)

    post_save.connect(saved, sender=backend.models.Note, dispatch_uid="atomic-requests-hook")
    try:
        yield
    finally:
        post_save.disconnect(sender=backend.models.Note, dispatch_uid="atomic-requests-hook")


def test_a_failing_on_commit_hook_after_the_requests_commit_keeps_the_201(
    client: Client,
    backend: Backend,
    hooks: list[tuple[str, bool]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _failing_user_hook(backend), caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.post("/ajax/notes", json={"title": "kept"})
    assert response.status == 201, response.content
    assert response.json()["title"] == "kept"
    assert backend.titles() == ["kept"]
    _logged_once(caplog, "the application's on_commit hook broke")
    # The endpoint's own hook, registered after the broken one, still ran,
    # after the request's commit.
    assert hooks == [("kept", False)]


def test_an_idempotent_retry_replays_the_201_the_failing_hook_left(
    client: Client, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    with _failing_user_hook(backend), caplog.at_level(logging.ERROR, logger="ajaxkit"):
        first = client.post("/ajax/notes", json={"title": "once"}, headers=key)
        again = client.post("/ajax/notes", json={"title": "once"}, headers=key)
    assert (first.status, again.status) == (201, 201), first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert backend.titles() == ["once"]
    _logged_once(caplog, "the application's on_commit hook broke")


@pytest.mark.parametrize(("fail", "status"), [("refused", 409), ("broken", 500)])
def test_a_handler_that_raises_after_writing_leaves_nothing_stored(
    client: Client, backend: Backend, fail: str, status: int
) -> None:
    response = client.post("/ajax/plain/write", json={"title": "half", "fail": fail})
    assert response.status == status, response.content
    assert backend.titles() == []


def test_an_async_handler_using_the_async_orm_is_rolled_back_too(
    client: Client, backend: Backend
) -> None:
    response = client.post("/ajax/plain/awrite", json={"title": "half"})
    assert response.status == 409, response.content
    assert backend.titles() == []


def test_a_transaction_django_marked_for_rollback_is_not_answered_as_a_success(
    client: Client, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # Django itself would roll back and still send the view's 200.
    with caplog.at_level(logging.CRITICAL, logger="ajaxkit"):
        response = client.post("/ajax/plain/swallow", json={"title": "lost"})
    assert response.status == 500, response.content
    assert backend.titles() == []


def test_plain_handlers_run_inside_the_requests_transaction(
    client: Client, backend: Backend
) -> None:
    assert client.get("/ajax/plain/state").json() == {"in_block": True}
    written = client.post("/ajax/plain/write", json={"title": "whole"})
    assert written.status == 200, written.content
    assert written.json() == {"in_block": True}
    assert backend.titles() == ["whole"]


def test_without_atomic_requests_handlers_run_in_autocommit(
    client: Client, backend: Backend
) -> None:
    with atomic_requests(_alias(backend), on=False):
        assert client.get("/ajax/plain/state").json() == {"in_block": False}
        # Nothing rolls back what autocommit stored.
        refused = client.post("/ajax/plain/write", json={"title": "stays", "fail": "refused"})
    assert refused.status == 409, refused.content
    assert backend.titles() == ["stays"]


def test_every_database_whose_settings_ask_and_only_those(client: Client, backend: Backend) -> None:
    alias = _alias(backend)
    if alias == "default":
        pytest.skip("one database")
    assert client.get("/ajax/plain/databases").json() == {alias: True, "default": False}
    with atomic_requests("default"):
        assert client.get("/ajax/plain/databases").json() == {alias: True, "default": True}


def test_a_mount_marked_non_atomic_stays_so(client: Client, backend: Backend) -> None:
    from django.db import transaction
    from django.urls import resolve

    # Django's own mark, on the view urls(api) made: the same for every route.
    view = resolve("/ajax/plain/state").func
    transaction.non_atomic_requests(using=_alias(backend))(view)
    assert client.get("/ajax/plain/state").json() == {"in_block": False}
    refused = client.post("/ajax/plain/write", json={"title": "stays", "fail": "refused"})
    assert refused.status == 409, refused.content
    assert backend.titles() == ["stays"]


def test_an_atomic_batchs_hooks_wait_for_the_requests_commit(
    client: Client, backend: Backend, hooks: list[tuple[str, bool]]
) -> None:
    items = [{"method": "POST", "path": "notes", "body": {"title": t}} for t in ("a", "b")]
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response.content
    assert response.json()["committed"] is True
    assert sorted(backend.titles()) == ["a", "b"]
    # The batch's block is a savepoint of the request's: its hooks ran
    # once the request's transaction had committed, not before.
    assert hooks == [("a", False), ("b", False)]


def test_a_failing_item_of_an_atomic_batch_rolls_back_its_savepoint_only(
    client: Client, backend: Backend, hooks: list[tuple[str, bool]]
) -> None:
    client.post("/ajax/plain/write", json={"title": "before"})
    items = [
        {"method": "POST", "path": "notes", "body": {"title": "a"}},
        {"method": "POST", "path": "notes", "body": {"title": "b", "priority": "high"}},
    ]
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response.content
    assert response.json()["committed"] is False
    assert backend.titles() == ["before"]
    assert hooks == []


@pytest.fixture
def unique_titles_at_commit(backend: Backend) -> Iterator[None]:
    """Note titles unique, checked at COMMIT (``DEFERRABLE INITIALLY DEFERRED``)."""
    if not backend.name.endswith("postgres"):
        pytest.skip("SQLite checks no unique constraint at commit")
    table = backend.table(backend.models.Note)
    constraint = f"{table}_title_at_commit_rq"
    backend.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE (title) "
        "DEFERRABLE INITIALLY DEFERRED"
    )
    yield
    backend.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")


@pytest.mark.usefixtures("unique_titles_at_commit")
def test_a_commit_the_database_refuses_is_a_problem_and_no_stored_success(
    client: Client, backend: Backend, hooks: list[tuple[str, bool]]
) -> None:
    assert client.post("/ajax/notes", json={"title": "twice"}).status == 201
    hooks.clear()
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    refused = client.post("/ajax/notes", json={"title": "twice"}, headers=key)
    # The write was answered before the COMMIT, which the database refused:
    # the answer is a 500 problem, not the 201 of a row that is not there.
    assert refused.status == 500, refused.content
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert backend.titles() == ["twice"]
    assert hooks == []
    # Not stored as a success either: the retry runs again.
    retried = client.post("/ajax/notes", json={"title": "twice"}, headers=key)
    assert retried.status == 500, retried.content
    assert "idempotent-replayed" not in retried.headers
