"""SQLAlchemy 2.x support: the repository behind ``api.model(Mapped, Endpoint, session=...)``."""

from __future__ import annotations

from ajaxkit.sqlalchemy.repository import SQLAlchemyRepository, handles, repository
from ajaxkit.sqlalchemy.transactions import SQLAlchemyTransactions, session_for

__all__ = ["SQLAlchemyRepository", "SQLAlchemyTransactions", "handles", "repository", "session_for"]
