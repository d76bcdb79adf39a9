"""The demo's database: any SQLAlchemy URL, SQLite by default.

Every table of the demo (users, people, messages) is declared on :class:`Base`
and created on first use, so a fresh SQLite file or an empty PostgreSQL
database both work.  A database that cannot be reached is a
:class:`DemoConfigError` with a one-line message, not a driver traceback.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base", "DemoConfigError", "open_database", "shown", "sqlite_url"]


class DemoConfigError(Exception):
    """A command-line value the demo cannot use; its message is one line for the user."""


class Base(DeclarativeBase):
    """The demo's tables."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file ``path`` (its directory is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def shown(url: str) -> str:
    """``url`` as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<an unparsable URL>" if "@" in url else url


def open_database(url: str) -> Engine:
    """An engine for ``url`` with the demo's tables created; one connection tried first."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DemoConfigError(
            f"--database-url {shown(url)!s} is not a usable SQLAlchemy URL ({_first_line(exc)})."
            " Example: postgresql+psycopg://user:password@127.0.0.1:5432/demo"
        ) from exc
    except ImportError as exc:
        raise DemoConfigError(
            f"--database-url {shown(url)}: its driver is not installed ({exc.name})."
        ) from exc
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        Base.metadata.create_all(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DemoConfigError(
            f"cannot use the database at {shown(url)}: {_first_line(exc)}"
        ) from exc
    return engine


def _first_line(exc: BaseException) -> str:
    # Driver messages run over many lines (and SQLAlchemy appends a link);
    # the first line names the cause.
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
