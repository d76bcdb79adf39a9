"""The four stores the model tests run on: (SQLAlchemy, Django ORM) x (SQLite, PostgreSQL).

A backend knows how to set its store up, how to narrow a scope the ORM's way,
how to count queries and how to empty the tables between tests.  Test bodies
only see its name and these methods.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

SCHEMA = f"ajaxkit_models_{os.getpid()}"

#: The four stores a model test over real columns runs on, by name: each
#: ORM on SQLite and on PostgreSQL (``store`` fixtures read the name).
STORES = [
    pytest.param("sqlalchemy-sqlite", id="sqlalchemy-sqlite"),
    pytest.param("django-sqlite", id="django-sqlite", marks=pytest.mark.django),
    pytest.param("sqlalchemy-postgres", id="sqlalchemy-postgres", marks=pytest.mark.postgres),
    pytest.param(
        "django-postgres", id="django-postgres", marks=[pytest.mark.postgres, pytest.mark.django]
    ),
]


class Backend:
    name: str
    models: Any

    def options(self) -> dict[str, Any]:
        raise NotImplementedError

    def visible(self, scope: Any, username: str | None) -> Any:
        """``scope`` narrowed to notes owned by ``username`` or published."""
        raise NotImplementedError

    def owned(self, resource: str, scope: Any, username: str) -> Any:
        """``scope`` narrowed to the rows of ``resource`` that ``username``
        owns, for the row-scoping suite (``tests/models/scoped_spec.py``):
        notes by owner (or published), authors by e-mail domain, tags by
        label prefix, comments by their author's e-mail domain."""
        raise NotImplementedError

    @contextmanager
    def count_queries(self) -> Iterator[list[str]]:
        raise NotImplementedError
        yield []

    def reset(self) -> None:
        raise NotImplementedError

    def titles(self) -> list[str]:
        """The stored notes' titles, read with the ORM and no endpoint."""
        raise NotImplementedError

    def committed_titles(self) -> list[str]:
        """The titles as a reader outside any open transaction sees them:
        only what is committed (called from hooks, mid-request)."""
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        """Run ``sql`` (schema changes a test makes) and commit it."""
        raise NotImplementedError

    def table(self, model: Any) -> str:
        """``model``'s table name."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class SQLAlchemyBackend(Backend):
    def __init__(self, database: str) -> None:
        from sqlalchemy import create_engine, event, text
        from sqlalchemy.orm import sessionmaker

        from tests.models import sa_models
        from tests.services import postgres_url

        self.name = f"sqlalchemy-{database}"
        self.models = sa_models
        self.database = database
        if database == "sqlite":
            self._dir = tempfile.TemporaryDirectory()
            self.engine = create_engine(f"sqlite:///{self._dir.name}/db.sqlite3")
            # A scratch file: its commits need not wait for the disk (each
            # fsync cost milliseconds, and every test commits several times).
            event.listen(self.engine, "connect", _no_fsync)
        else:
            admin = create_engine(postgres_url())
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}_sa"))
            admin.dispose()
            self.engine = create_engine(
                postgres_url(), connect_args={"options": f"-csearch_path={SCHEMA}_sa"}, pool_size=10
            )
        sa_models.Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(self.engine)
        self._queries: list[str] | None = None
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._queries is not None:
            self._queries.append(statement)

    def options(self) -> dict[str, Any]:
        return {"session": self.Session}

    def visible(self, scope: Any, username: str | None) -> Any:
        from sqlalchemy import or_

        note = self.models.Note
        if username is None:
            return scope.where(note.status == "published")
        return scope.where(or_(note.owner == username, note.status == "published"))

    def owned(self, resource: str, scope: Any, username: str) -> Any:
        from sqlalchemy import or_

        m = self.models
        domain = f"%@{username}"
        conditions = {
            "notes": or_(m.Note.owner == username, m.Note.status == "published"),
            "authors": m.Author.email.like(domain),
            "tags": m.Tag.label.startswith(f"{username}:"),
            "comments": m.Comment.author.has(m.Author.email.like(domain)),
        }
        return scope.where(conditions[resource])

    @contextmanager
    def count_queries(self) -> Iterator[list[str]]:
        self._queries = []
        try:
            yield self._queries
        finally:
            self._queries = None

    def titles(self) -> list[str]:
        from sqlalchemy import select

        with self.Session() as session:
            return list(session.scalars(select(self.models.Note.title)))

    def committed_titles(self) -> list[str]:
        # A new session is a new connection: it sees no open transaction's rows.
        return self.titles()

    def execute(self, sql: str) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text(sql))

    def table(self, model: Any) -> str:
        return str(model.__tablename__)

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(self.models.Base.metadata.sorted_tables):
                conn.execute(table.delete())

    def close(self) -> None:
        from sqlalchemy import text

        if self.database == "postgres":
            self.engine.dispose()
            from sqlalchemy import create_engine

            from tests.services import postgres_url

            admin = create_engine(postgres_url())
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA}_sa CASCADE"))
            admin.dispose()
        else:
            self.engine.dispose()
            self._dir.cleanup()


def _no_fsync(connection: Any, record: Any) -> None:
    """Commit without waiting for the disk; locking and journaling are unchanged."""
    connection.execute("PRAGMA synchronous = OFF")


def setup_django() -> None:
    """Configure Django for the test project (the suite's conftest may already have)."""
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
    django.setup()


class DjangoBackend(Backend):
    def __init__(self, database: str) -> None:
        setup_django()
        from django.core.management import call_command
        from django.db import connections

        from tests import services
        from tests.django_project import catalog
        from tests.django_project.catalog import models

        self.name = f"django-{database}"
        self.database = database
        self.models = models
        self.alias = "default" if database == "sqlite" else "ajaxkit_models_pg"
        if database == "postgres" and self.alias not in connections.settings:
            self._create_schema()
            options = {"options": f"-c search_path={SCHEMA}_dj"}
            conf = {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": services.POSTGRES_DB,
                "USER": services.POSTGRES_USER,
                "HOST": services.POSTGRES_HOST,
                "PORT": str(services.POSTGRES_PORT),
                "OPTIONS": options,
            }
            connections.settings[self.alias] = connections.configure_settings({"default": conf})[
                "default"
            ]
        call_command("migrate", run_syncdb=True, database=self.alias, verbosity=0)
        del catalog

    def _create_schema(self) -> None:
        import psycopg

        from tests.services import postgres_url

        with psycopg.connect(postgres_url("postgresql"), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}_dj")

    def options(self) -> dict[str, Any]:
        return {"using": self.alias}

    def visible(self, scope: Any, username: str | None) -> Any:
        from django.db.models import Q

        if username is None:
            return scope.filter(status="published")
        return scope.filter(Q(owner=username) | Q(status="published"))

    def owned(self, resource: str, scope: Any, username: str) -> Any:
        from django.db.models import Q

        domain = f"@{username}"
        conditions = {
            "notes": Q(owner=username) | Q(status="published"),
            "authors": Q(email__endswith=domain),
            "tags": Q(label__startswith=f"{username}:"),
            "comments": Q(author__email__endswith=domain),
        }
        return scope.filter(conditions[resource])

    @contextmanager
    def count_queries(self) -> Iterator[list[str]]:
        from django.db import connections
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connections[self.alias]) as context:
            queries: list[str] = []
            yield queries
        queries += [q["sql"] for q in context.captured_queries]

    def titles(self) -> list[str]:
        notes = self.models.Note.objects.using(self.alias)
        return list(notes.values_list("title", flat=True))

    def committed_titles(self) -> list[str]:
        from django.db import connections

        # Django's connection is the thread's own, the one a batch's block is
        # open on: reading through it inside the block would see uncommitted rows.
        if connections[self.alias].in_atomic_block:
            raise AssertionError(f"read inside an open transaction on {self.alias!r}")
        return self.titles()

    def execute(self, sql: str) -> None:
        from django.db import connections

        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql)

    def table(self, model: Any) -> str:
        return str(model._meta.db_table)

    def reset(self) -> None:
        m = self.models
        for model in (m.Comment, m.Note.tags.through, m.Note, m.Tag, m.Category, m.Author):
            model.objects.using(self.alias).all().delete()

    def close(self) -> None:
        from django.db import connections

        if self.database == "postgres":
            connections[self.alias].close()
            import psycopg

            from tests.services import postgres_url

            with psycopg.connect(postgres_url("postgresql"), autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}_dj CASCADE")


def user(username: str) -> Any:
    return SimpleNamespace(username=username, is_authenticated=True)
