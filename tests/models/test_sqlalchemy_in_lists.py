"""SQLAlchemy looks rows up by any number of pks: PostgreSQL's parameter cap is not a 500.

A record's to-many relation is checked against its related endpoint's scope
by pk, in one ``IN`` list with a parameter per pk.  PostgreSQL (psycopg binds
server-side) takes at most 65,535 parameters in a statement, so a note with
more comments than that, each added by an ordinary user, failed every read
of the note, and every list page holding it, with a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ajaxkit.sqlalchemy.repository import SQLAlchemyRepository
from tests.conformance.clients.reference import ReferenceClient
from tests.models.backends import Backend, SQLAlchemyBackend
from tests.models.conftest import _backend
from tests.models.scoped_spec import build_scoped_api

#: Over PostgreSQL's 65,535 parameters in one statement.
MANY = 66_000


@pytest.fixture(
    params=["sqlalchemy-sqlite", pytest.param("sqlalchemy-postgres", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> SQLAlchemyBackend:
    """The session's SQLAlchemy backend (its schema is shared: never closed here)."""
    made = _backend(request.param, backends)
    assert isinstance(made, SQLAlchemyBackend)
    made.reset()
    return made


def test_finding_more_rows_than_a_statement_takes_parameters(backend: SQLAlchemyBackend) -> None:
    repository = SQLAlchemyRepository(backend.models.Comment, backend.Session)
    stored = [uuid.uuid4() for _ in range(3)]
    with backend.Session.begin() as session:
        note = backend.models.Note(title="n", owner="alice")
        session.add(note)
        session.flush()
        for pk in stored:
            session.add(backend.models.Comment(id=pk, note_id=note.id, text="x"))
    asked = [*stored, *(uuid.uuid4() for _ in range(MANY))]
    with repository.reading() as unit:
        found = unit.find(repository.scope(), backend.models.Comment, asked)
        missing = unit.missing(backend.models.Comment, asked)
    assert sorted(row.id for row in found) == sorted(stored)
    assert missing == asked[len(stored) :]


@pytest.mark.postgres
def test_a_record_with_more_related_rows_than_parameters_reads(
    backends: dict[str, Backend],
) -> None:
    backend = _backend("sqlalchemy-postgres", backends)
    backend.reset()
    client: Any = ReferenceClient(apis={"/ajax": build_scoped_api(backend)})
    try:
        client.login("alice")
        ann = client.post("/ajax/authors", json={"name": "Ann", "email": "ann@alice"})
        note = client.post("/ajax/notes", json={"title": "n", "author": ann.json()["id"]})
        backend.execute(
            f"INSERT INTO {backend.table(backend.models.Comment)} (id, note_id, author_id, text) "
            f"SELECT gen_random_uuid(), {note.json()['id']}, {ann.json()['id']}, 'x' "
            f"FROM generate_series(1, {MANY})"
        )
        read = client.get(f"/ajax/notes/{note.json()['id']}")
        assert read.status == 200, read.content[:300]
        assert len(read.json()["comments"]) == MANY
    finally:
        client.close()
        backend.reset()
