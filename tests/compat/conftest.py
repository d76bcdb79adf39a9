"""The database every compat test runs on: SQLite, then PostgreSQL.

On PostgreSQL a router sends every query of the request (sessions and users
included) to a per-process schema, so the whole request runs there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connections

from tests.django_project.legacy.routers import ALIAS
from tests.services import require_postgres

SCHEMA = f"ajaxkit_legacy_{os.getpid()}"
POSTGRES_ROUTER = "tests.django_project.legacy.routers.PostgresEverywhere"


def _postgres_alias() -> None:
    if ALIAS in connections.settings:
        return
    import psycopg
    from django.core.management import call_command

    from tests import services
    from tests.services import postgres_url

    with psycopg.connect(postgres_url("postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    conf = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": services.POSTGRES_DB,
        "USER": services.POSTGRES_USER,
        "HOST": services.POSTGRES_HOST,
        "PORT": str(services.POSTGRES_PORT),
        "OPTIONS": {"options": f"-c search_path={SCHEMA}"},
    }
    connections.settings[ALIAS] = connections.configure_settings({"default": conf})["default"]
    call_command("migrate", run_syncdb=True, database=ALIAS, verbosity=0)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield "default"
        return
    require_postgres()
    _postgres_alias()
    yield ALIAS
    connections[ALIAS].close()
    # Forgotten with its schema: a process running the tests in another
    # order (one of several, each given whole files) may set this fixture
    # up again, and must then create and migrate the schema again.
    del connections[ALIAS]
    del connections.settings[ALIAS]
    import psycopg

    from tests.services import postgres_url

    with psycopg.connect(postgres_url("postgresql"), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
