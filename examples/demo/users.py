"""The demo's users, created and seeded on first use, in any SQLAlchemy database.

Names are matched case- and accent-insensitively ("jose" finds "José") on a
folded copy of each name stored beside it.  The match is ``LIKE`` with its
wildcards escaped, so ``%`` and ``_`` in a query are plain characters, and
the folded column sorts byte-wise (collation ``C`` on PostgreSQL, SQLite's
default elsewhere) so that every database lists the same order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Engine, String, func, select
from sqlalchemy import insert as insert_rows
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from examples.demo.database import Base

__all__ = ["HOSTILE_NAME", "NAMES", "User", "count", "create_database", "fold", "search"]

#: A seeded user whose name is markup, on purpose: the page must show it as
#: text, never parse it.
HOSTILE_NAME = '<img src=x onerror="alert(1)"> Mallory'

#: Every seeded user's name, in id order.
NAMES = (
    "Alice Johnson",
    "Alan Turing",
    "Ada Lovelace",
    "Albert Ramos",
    "Natalia Romanova",
    "Khalid Al-Mansour",
    "Sally Ride",
    "Bob Martin",
    "Bobby Tables",
    "Barbara Liskov",
    "Charlie Parker",
    "Charlotte Brontë",
    "Chen Wei",
    "David Gilmour",
    "Dalia Mogahed",
    "Eve Arden",
    "Evelyn Boyd Granville",
    "Edsger Dijkstra",
    "Frances Allen",
    "Grace Hopper",
    "Guido van Rossum",
    "Hedy Lamarr",
    "Ingrid Bergman",
    "Ivan Sutherland",
    "José Martí",
    "Josephine Baker",
    "Katherine Johnson",
    "Ken Thompson",
    "Linus Torvalds",
    "Margaret Hamilton",
    "Mary Shelley",
    "Marie Curie",
    "Mario Molina",
    "Niklaus Wirth",
    "Noor Inayat Khan",
    "Olga Ladyzhenskaya",
    "Paul Erdős",
    "Radia Perlman",
    "Rosalind Franklin",
    "Sophie Germain",
    "Sophie Wilson",
    "Tim Berners-Lee",
    "Ursula K. Le Guin",
    "Valentina Tereshkova",
    "Wang Zhenyi",
    "Xavier Leroy",
    "Yukihiro Matsumoto",
    "Zoë Kravitz",
    "Zhang Heng",
    HOSTILE_NAME,
)

_FIRST_JOINED = date(2019, 1, 7)
# Byte-wise order, as SQLite sorts by default: PostgreSQL's locale collations
# skip spaces and punctuation, which would reorder "al-" and "al ".
_FOLDED = String(120).with_variant(String(120, collation="C"), "postgresql")
# Dialects whose INSERT can skip rows that are there already, in one statement.
_INSERT_IGNORING_DUPLICATES: dict[str, Callable[[type[Base]], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class User(Base):
    """One searchable user."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120))
    name_folded: Mapped[str] = mapped_column(_FOLDED)
    email: Mapped[str] = mapped_column(String(120))
    joined: Mapped[date] = mapped_column(Date)


def fold(text: str) -> str:
    """``text`` without case or accents, for matching: ``"Zoë" -> "zoe"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(name: str) -> str:
    if name == HOSTILE_NAME:
        return "mallory@example.com"
    words = re.findall(r"[a-z]+", fold(name))
    return f"{words[0]}.{words[-1]}@example.com"


def _seed_rows() -> Iterator[dict[str, Any]]:
    for user_id, name in enumerate(NAMES, start=1):
        joined = _FIRST_JOINED + timedelta(days=37 * user_id)
        folded = fold(name)
        yield {
            "id": user_id,
            "name": name,
            "name_folded": folded,
            "email": _email(name),
            "joined": joined,
        }


def create_database(engine: Engine) -> None:
    """Create and seed the users unless they are there already (idempotent).

    On SQLite and PostgreSQL, two processes starting at once may both
    insert: duplicate ids are skipped, so there are always exactly the
    seeded users.  Other databases get the rows that are missing.
    """
    Base.metadata.create_all(engine)
    rows = list(_seed_rows())
    insert = _INSERT_IGNORING_DUPLICATES.get(engine.dialect.name)
    with Session(engine) as session, session.begin():
        if insert is not None:
            session.execute(insert(User).on_conflict_do_nothing(), rows)
            return
        present = set(session.scalars(select(User.id)))
        missing = [row for row in rows if row["id"] not in present]
        if missing:
            session.execute(insert_rows(User), missing)


def count(engine: Engine) -> int:
    """How many users there are."""
    with Session(engine) as session:
        return session.scalar(select(func.count(User.id))) or 0


def search(engine: Engine, query: str, limit: int) -> list[dict[str, Any]]:
    """Users whose name contains ``query`` (ignoring case and accents), by name."""
    needle = fold(query.strip())
    if not needle:
        return []
    statement = (
        select(User)
        .where(User.name_folded.contains(needle, autoescape=True))
        .order_by(User.name_folded, User.id)
        .limit(limit)
    )
    with Session(engine) as session:
        found = session.scalars(statement).all()
    return [{"id": u.id, "name": u.name, "email": u.email, "joined": u.joined} for u in found]
