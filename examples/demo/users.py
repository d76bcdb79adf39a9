"""The demo's data: a SQLite file of users, created and seeded on first use.

Names are matched case- and accent-insensitively ("jose" finds "José") on a
folded copy of each name stored beside it, with ``instr`` rather than
``LIKE`` so that ``%`` and ``_`` in a query are plain characters.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

__all__ = ["HOSTILE_NAME", "NAMES", "connect", "create_database", "fold", "search"]

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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    email TEXT NOT NULL,
    joined TEXT NOT NULL
)
"""
_FIRST_JOINED = date(2019, 1, 7)


def fold(text: str) -> str:
    """``text`` without case or accents, for matching: ``"Zoë" -> "zoe"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(name: str) -> str:
    if name == HOSTILE_NAME:
        return "mallory@example.com"
    words = re.findall(r"[a-z]+", fold(name))
    return f"{words[0]}.{words[-1]}@example.com"


def _seed_rows() -> Iterator[tuple[int, str, str, str, str]]:
    for user_id, name in enumerate(NAMES, start=1):
        joined = _FIRST_JOINED + timedelta(days=37 * user_id)
        yield user_id, name, fold(name), _email(name), joined.isoformat()


@contextmanager
def connect(database: Path) -> Iterator[sqlite3.Connection]:
    """A connection to ``database``, closed (not only committed) on exit."""
    with closing(sqlite3.connect(database)) as connection, connection:
        yield connection


def create_database(database: Path) -> None:
    """Create and seed ``database`` unless it already holds the users (idempotent)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with connect(database) as connection:
        connection.execute(_SCHEMA)
        connection.executemany(
            "INSERT OR IGNORE INTO users (id, name, name_folded, email, joined)"
            " VALUES (?, ?, ?, ?, ?)",
            _seed_rows(),
        )


def search(database: Path, query: str, limit: int) -> list[dict[str, Any]]:
    """Users whose name contains ``query`` (ignoring case and accents), by name."""
    needle = fold(query.strip())
    if not needle:
        return []
    with connect(database) as connection:
        rows = connection.execute(
            "SELECT id, name, email, joined FROM users"
            " WHERE instr(name_folded, ?) > 0 ORDER BY name_folded, id LIMIT ?",
            (needle, limit),
        ).fetchall()
    return [
        {"id": row[0], "name": row[1], "email": row[2], "joined": date.fromisoformat(row[3])}
        for row in rows
    ]
