"""Atomic batches (``atomic: true``) over model endpoints, on both ORMs and both databases.

Every item joins one transaction per database: a failing item rolls back the
items before it (read back from the database, not from answers), after-commit
hooks never fire for a rolled-back batch, an idempotent item of one is not
replayed, and batching never skips an item's own permission checks.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change
from tests.models.backends import Backend
from tests.models.clients import Client, MakeClient
from tests.models.spec import build_api


@pytest.fixture
def api(backend: Backend, events: list[Change]) -> Iterator[Ajax]:
    backend.reset()
    api = build_api(backend, events)
    api.batch()
    yield api


def _atomic(client: Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response.json()
    answer: dict[str, Any] = response.json()
    return answer


def _create(title: str, **headers: str) -> dict[str, Any]:
    return {"method": "POST", "path": "notes", "body": {"title": title}, "headers": headers}


def _titles(backend: Backend) -> list[str]:
    """The notes' titles as stored, read straight from the database."""
    return sorted(backend.titles())


def test_an_atomic_batch_that_succeeds_commits_every_item(
    client: Client, backend: Backend, events: list[Change]
) -> None:
    answer = _atomic(client, [_create("one"), _create("two"), {"path": "notes"}])
    assert answer["committed"] is True
    assert [a["status"] for a in answer["items"]] == [201, 201, 200]
    # A read after the writes sees them: the items share the transaction.
    assert answer["items"][2]["body"]["count"] == 2
    assert _titles(backend) == ["one", "two"]
    assert [(e.action, e.record["title"]) for e in events] == [
        ("created", "one"),
        ("created", "two"),
    ]


def _failing_items(client: Client, make_client: MakeClient) -> dict[str, dict[str, Any]]:
    bob = make_client("bob")
    theirs = bob.post("/ajax/notes", json={"title": "bob's", "status": "published"}).json()
    author = client.post("/ajax/authors", json={"name": "A", "email": "a@x.test"}).json()
    return {
        "422": {"method": "POST", "path": "notes", "body": {"title": "x", "priority": "high"}},
        "412": {
            "method": "PATCH",
            "path": f"authors/{author['id']}",
            "body": {"name": "B"},
            "headers": {"If-Match": '"v999"'},
        },
        "404": {"method": "PATCH", "path": "notes/987654", "body": {"title": "y"}},
        "403": {"method": "PATCH", "path": f"notes/{theirs['id']}", "body": {"title": "mine"}},
    }


@pytest.mark.parametrize("status", ["422", "412", "404", "403"])
def test_a_failing_third_item_rolls_back_the_first_two(
    client: Client,
    make_client: MakeClient,
    backend: Backend,
    events: list[Change],
    status: str,
) -> None:
    failing = _failing_items(client, make_client)[status]
    before, seen = _titles(backend), len(events)
    answer = _atomic(client, [_create("one"), _create("two"), failing, _create("four")])
    assert answer["committed"] is False
    statuses = [a["status"] for a in answer["items"]]
    assert statuses == [424, 424, int(status), 424]
    codes = [a["body"]["code"] for a in answer["items"]]
    assert codes[:2] == ["batch_rolled_back"] * 2
    assert codes[3] == "batch_not_run"
    assert all(answer["items"][i]["body"]["failed_item"] == 2 for i in (0, 1, 3))
    assert _titles(backend) == before
    # The after-commit hooks of the rolled-back creates never ran.
    assert len(events) == seen


def test_an_idempotent_item_of_a_rolled_back_batch_is_not_replayed(
    client: Client, backend: Backend
) -> None:
    key = f'"{uuid.uuid4()}"'
    failing = {"method": "POST", "path": "notes", "body": {"title": "x", "priority": "high"}}
    first = _atomic(client, [_create("kept", **{"Idempotency-Key": key}), failing])
    assert first["committed"] is False
    retried = _atomic(client, [_create("kept", **{"Idempotency-Key": key})])
    assert retried["committed"] is True
    assert retried["items"][0]["status"] == 201
    assert "idempotent-replayed" not in retried["items"][0]["headers"]
    assert _titles(backend) == ["kept"]
    # Once committed, the stored answer is the one a retry gets.
    again = _atomic(client, [_create("kept", **{"Idempotency-Key": key})])
    assert again["items"][0]["headers"]["idempotent-replayed"] == "true"
    assert _titles(backend) == ["kept"]


def test_batching_never_bypasses_an_items_own_permission(
    client: Client, make_client: MakeClient, backend: Backend
) -> None:
    bob = make_client("bob")
    theirs = bob.post("/ajax/notes", json={"title": "bob's", "status": "published"}).json()
    steal = {"method": "DELETE", "path": f"notes/{theirs['id']}"}
    answer = _atomic(client, [_create("mine"), steal])
    assert [a["status"] for a in answer["items"]] == [424, 403]
    assert _titles(backend) == ["bob's"]
    client.logout()
    anonymous = _atomic(client, [_create("anon")])
    assert anonymous["items"][0]["status"] == 403
    assert anonymous["committed"] is False
    assert _titles(backend) == ["bob's"]


def test_a_django_plain_handler_declaring_its_alias_is_rolled_back_too(
    client: Client, backend: Backend, api: Ajax
) -> None:
    if not backend.name.startswith("django"):
        pytest.skip("a declared alias covers plain handlers on Django's ORM only")
    from ajaxkit.django import DjangoTransactions

    note = backend.models.Note
    alias = backend.options()["using"]

    @api.endpoint("plain/notes", methods=["POST"], transactions=[DjangoTransactions(alias)])
    def plain(title: str) -> dict[str, Any]:
        return {"id": note.objects.using(alias).create(title=title).pk}

    failing = {"method": "POST", "path": "notes", "body": {"title": "x", "priority": "high"}}
    plain_item = {"method": "POST", "path": "plain/notes", "body": {"title": "plain"}}
    answer = _atomic(client, [plain_item, _create("model"), failing])
    assert [a["status"] for a in answer["items"]] == [424, 424, 422]
    assert _titles(backend) == []
    assert _atomic(client, [plain_item, _create("model")])["committed"] is True
    assert _titles(backend) == ["model", "plain"]


def test_a_plain_sqlalchemy_handler_using_session_for_is_rolled_back_too(
    client: Client, backend: Backend, api: Ajax
) -> None:
    if not backend.name.startswith("sqlalchemy"):
        pytest.skip("session_for is SQLAlchemy's way to join the batch's session")
    from ajaxkit.sqlalchemy import SQLAlchemyTransactions, session_for

    note, factory = backend.models.Note, backend.options()["session"]

    @api.endpoint("plain/notes", methods=["POST"], transactions=[SQLAlchemyTransactions(factory)])
    def plain(request: AjaxRequest, title: str) -> dict[str, Any]:
        with session_for(request, factory) as session:
            row = note(title=title, owner="alice")
            session.add(row)
            session.flush()
            return {"id": row.id}

    failing = {"method": "POST", "path": "notes", "body": {"title": "x", "priority": "high"}}
    plain_item = {"method": "POST", "path": "plain/notes", "body": {"title": "plain"}}
    answer = _atomic(client, [plain_item, _create("model"), failing])
    assert [a["status"] for a in answer["items"]] == [424, 424, 422]
    assert _titles(backend) == []
    # Committed with the model item's write: the same session, one commit.
    ok = _atomic(client, [plain_item, _create("model"), {"path": "notes"}])
    assert ok["committed"] is True
    assert ok["items"][2]["body"]["count"] == 2
    assert _titles(backend) == ["model", "plain"]
    # Outside a batch the handler's own session commits when the block ends.
    alone = client.post("/ajax/plain/notes", json={"title": "alone"})
    assert alone.status == 200, alone.json()
    assert _titles(backend) == ["alone", "model", "plain"]


@pytest.fixture
def unique_titles_at_commit(backend: Backend) -> Iterator[None]:
    """Note titles unique, checked at COMMIT (``DEFERRABLE INITIALLY
    DEFERRED``): every item of a batch succeeds, then its commit fails."""
    if not backend.name.endswith("postgres"):
        pytest.skip("SQLite checks no unique constraint at commit")
    table = backend.table(backend.models.Note)
    constraint = f"{table}_title_at_commit"
    backend.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE (title) "
        "DEFERRABLE INITIALLY DEFERRED"
    )
    yield
    backend.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")


@pytest.mark.usefixtures("unique_titles_at_commit")
def test_a_commit_the_database_refuses_stores_nothing_and_says_so(
    client: Client, backend: Backend, events: list[Change]
) -> None:
    key = f'"{uuid.uuid4()}"'
    kept = _create("kept", **{"Idempotency-Key": key})
    answer = _atomic(client, [kept, _create("twice"), _create("twice")])
    assert answer["committed"] is False
    assert [a["status"] for a in answer["items"]] == [424, 424, 424]
    assert {a["body"]["code"] for a in answer["items"]} == {"batch_not_committed"}
    assert _titles(backend) == []
    assert events == []
    # The idempotent item's answer was not stored: a retry runs it again.
    retried = _atomic(client, [kept])
    assert retried["committed"] is True
    assert "idempotent-replayed" not in retried["items"][0]["headers"]
    assert _titles(backend) == ["kept"]
    assert [e.record["title"] for e in events] == ["kept"]


def _logged_after_commit(caplog: pytest.LogCaptureFixture, failure: str) -> None:
    """``failure`` logged once, as after-commit work (P8): with an error id."""
    records = [r for r in caplog.records if r.name == "ajaxkit" and r.levelno >= logging.ERROR]
    (record,) = records
    error_id = getattr(record, "error_id", "")
    assert len(error_id) == 36 and error_id in record.getMessage()
    assert "after commit" in record.getMessage() and failure in record.getMessage()


def test_a_django_on_commit_hook_that_raises_leaves_the_batch_committed(
    client: Client,
    backend: Backend,
    api: Ajax,
    events: list[Change],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not backend.name.startswith("django"):
        pytest.skip("transaction.on_commit is Django's")
    from django.db import transaction

    from ajaxkit.django import DjangoTransactions

    note = backend.models.Note
    alias = backend.options()["using"]
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the user's hook broke")

    @api.endpoint("plain/notes", methods=["POST"], transactions=[DjangoTransactions(alias)])
    def plain(title: str) -> dict[str, Any]:
        transaction.on_commit(broken, using=alias)
        transaction.on_commit(lambda: ran.append(title), using=alias)
        return {"id": note.objects.using(alias).create(title=title).pk}

    plain_item = {"method": "POST", "path": "plain/notes", "body": {"title": "plain"}}
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        answer = _atomic(client, [plain_item, _create("model")])
    # The data was committed before the hook ran: the answer says so.
    assert answer["committed"] is True
    assert [a["status"] for a in answer["items"]] == [200, 201]
    assert _titles(backend) == ["model", "plain"]
    # The work after the broken hook still ran: the next hook, the model's.
    assert ran == ["plain"]
    assert [e.record["title"] for e in events] == ["model"]
    _logged_after_commit(caplog, "the user's hook broke")


def test_a_sqlalchemy_after_commit_event_that_raises_leaves_the_batch_committed(
    client: Client,
    backend: Backend,
    api: Ajax,
    events: list[Change],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not backend.name.startswith("sqlalchemy"):
        pytest.skip("session events are SQLAlchemy's")
    from sqlalchemy import event

    from ajaxkit.sqlalchemy import SQLAlchemyTransactions, session_for

    note, factory = backend.models.Note, backend.options()["session"]

    def broken(session: Any) -> None:
        raise RuntimeError("the user's after_commit broke")

    @api.endpoint("plain/notes", methods=["POST"], transactions=[SQLAlchemyTransactions(factory)])
    def plain(request: AjaxRequest, title: str) -> dict[str, Any]:
        with session_for(request, factory) as session:
            if not event.contains(session, "after_commit", broken):
                event.listen(session, "after_commit", broken)
            row = note(title=title, owner="alice")
            session.add(row)
            session.flush()
            return {"id": row.id}

    plain_item = {"method": "POST", "path": "plain/notes", "body": {"title": "plain"}}
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        answer = _atomic(client, [plain_item, _create("model")])
    assert answer["committed"] is True
    assert [a["status"] for a in answer["items"]] == [200, 201]
    assert _titles(backend) == ["model", "plain"]
    # The model item's after-commit hook still ran.
    assert [e.record["title"] for e in events] == ["model"]
    _logged_after_commit(caplog, "the user's after_commit broke")


def test_a_django_block_marked_for_rollback_is_not_reported_committed(
    client: Client, backend: Backend, api: Ajax
) -> None:
    if not backend.name.startswith("django"):
        pytest.skip("Django marks an atomic block for rollback on a caught database error")
    from django.db import IntegrityError

    from ajaxkit.django import DjangoTransactions

    note = backend.models.Note
    alias = backend.options()["using"]

    @api.endpoint("plain/notes", methods=["POST"], transactions=[DjangoTransactions(alias)])
    def plain(title: str) -> dict[str, Any]:
        first = note.objects.using(alias).create(title=title)
        # Caught, but the outermost block can now only roll back.
        with contextlib.suppress(IntegrityError):
            note.objects.using(alias).create(pk=first.pk, title=title)
        return {"id": first.pk}

    plain_item = {"method": "POST", "path": "plain/notes", "body": {"title": "plain"}}
    answer = _atomic(client, [_create("model"), plain_item])
    assert answer["committed"] is False
    assert {a["body"]["code"] for a in answer["items"]} == {"batch_not_committed"}
    assert _titles(backend) == []


def test_a_sqlalchemy_write_refused_by_the_commits_flush_is_not_a_hook_failure(
    backend: Backend,
) -> None:
    if not backend.name.startswith("sqlalchemy"):
        pytest.skip("the shared session is SQLAlchemy's")
    from sqlalchemy.exc import IntegrityError

    from ajaxkit.sqlalchemy import SQLAlchemyTransactions

    backend.reset()
    note, factory = backend.models.Note, backend.options()["session"]
    with factory.begin() as session:
        first = note(title="first", owner="alice")
        session.add(first)
        session.flush()
        pk = first.id
    held = SQLAlchemyTransactions(factory).begin()
    held.session.add(note(title="second", owner="alice"))
    held.session.flush()
    # Not flushed: the commit's own flush meets the duplicate key and
    # rolls the connection back before any COMMIT ran.
    held.session.add(note(id=pk, title="again", owner="alice"))
    failed: list[BaseException] = []
    with pytest.raises(IntegrityError):
        held.commit(failed.append)
    assert failed == []
    assert _titles(backend) == ["first"]
