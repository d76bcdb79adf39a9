"""Reading database constraint errors, for every ORM in one place.

Repositories catch their ORM's integrity error and call
:func:`constraint_violation` with the driver's exception (``exc.orig`` on
SQLAlchemy, ``exc.__cause__`` on Django) and a column → field map.  Only
duck typing is used (PostgreSQL drivers' ``sqlstate``/``diag``, SQLite's
message text), so the core imports no driver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ajaxkit.core.models.repository import ConstraintViolation

__all__ = ["constraint_violation"]

_PG_KINDS = {"23505": "unique", "23503": "foreign_key", "23502": "not_null", "23514": "check"}
_PG_KEY = re.compile(r"Key \(([^)]*)\)")
_SQLITE = re.compile(r"(UNIQUE|NOT NULL|FOREIGN KEY|CHECK) constraint failed(?:: (.*))?", re.I)
_SQLITE_KINDS = {
    "UNIQUE": "unique",
    "NOT NULL": "not_null",
    "FOREIGN KEY": "foreign_key",
    "CHECK": "check",
}


def constraint_violation(
    driver_error: BaseException | None, columns: Mapping[str, str]
) -> ConstraintViolation:
    """A :class:`ConstraintViolation` naming the fields (via ``columns``,
    column name → field name) the database reported."""
    sqlstate = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    if sqlstate in _PG_KINDS:
        return ConstraintViolation(_PG_KINDS[sqlstate], _pg_fields(driver_error, columns))
    match = _SQLITE.search(str(driver_error))
    if match:
        named = [part.strip().rpartition(".")[2] for part in (match.group(2) or "").split(",")]
        fields = [columns[c] for c in named if c in columns]
        return ConstraintViolation(_SQLITE_KINDS[match.group(1).upper()], fields)
    return ConstraintViolation("unknown", (), str(driver_error))


def _pg_fields(error: object, columns: Mapping[str, str]) -> list[str]:
    diag = getattr(error, "diag", None)
    column = getattr(diag, "column_name", None)
    if column:
        return [columns.get(column, column)]
    match = _PG_KEY.search(getattr(diag, "message_detail", None) or str(error))
    if not match:
        return []
    return [
        columns[c.strip().strip('"')]
        for c in match.group(1).split(",")
        if c.strip().strip('"') in columns
    ]
