"""Create the benchmark database and seed the same rows for every run.

``python -m bench.models.data --db sqlite|postgres``.  On PostgreSQL the
rows live in their own database, ``ajaxkit_bench`` (created here when
missing), so no other tables are ever touched; on SQLite in a file under
``bench/results/``.  Rows get explicit ids and fixed values, so every run
and every framework sees the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

from bench.models.targets import AUTHORS, DATABASES, NOTES

BASE_TIME = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]


def setup_django(db: str) -> None:
    """Point Django at ``db`` and set it up (once per process)."""
    import django

    os.environ["BENCH_DB"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.models.project.settings")
    django.setup()


def create_postgres_database() -> None:
    """``CREATE DATABASE ajaxkit_bench`` unless it exists (never drops anything)."""
    import psycopg
    from django.conf import settings

    conf = settings.DATABASES["default"]
    admin = f"host={conf['HOST']} port={conf['PORT']} user={conf['USER']} dbname=test"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [conf["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{conf["NAME"]}"')


def _text(seed: int, words: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words))


def seed() -> None:
    """Replace the benchmark's rows by the fixed data set."""
    from django.core.management import call_command
    from django.db import transaction

    from bench.models.notes.models import Author, Note

    call_command("migrate", run_syncdb=True, verbosity=0)
    with transaction.atomic():
        Note.objects.all().delete()
        Author.objects.all().delete()
        Author.objects.bulk_create(
            Author(id=i, name=f"Author {i}", email=f"author{i}@example.com")
            for i in range(1, AUTHORS + 1)
        )
        Note.objects.bulk_create(
            Note(
                id=i,
                title=f"Note {i}: {_text(i, 4)}",
                body=_text(i, 40),
                priority=i % 5,
                author_id=(i % AUTHORS) + 1,
                created_at=BASE_TIME + dt.timedelta(minutes=i),
            )
            for i in range(1, NOTES + 1)
        )


def prepare(db: str) -> None:
    """Set Django up for ``db``, create the database if needed, and seed it."""
    setup_django(db)
    if db == "postgres":
        create_postgres_database()
    else:
        from django.conf import settings

        os.makedirs(os.path.dirname(settings.DATABASES["default"]["NAME"]), exist_ok=True)
    seed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=DATABASES, required=True)
    prepare(parser.parse_args().db)


if __name__ == "__main__":
    main()
