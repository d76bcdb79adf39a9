"""Sends every query to the PostgreSQL alias while a test runs on PostgreSQL."""

from __future__ import annotations

from typing import Any

ALIAS = "ajaxkit_legacy_pg"


class PostgresEverywhere:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return ALIAS

    def allow_relation(self, *objs: Any, **hints: Any) -> bool:
        return True
