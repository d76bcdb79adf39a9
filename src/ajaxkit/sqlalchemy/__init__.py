"""SQLAlchemy 2.x support: the repository behind ``api.model(Mapped, Endpoint, session=...)``."""

from __future__ import annotations

from ajaxkit.sqlalchemy.repository import SQLAlchemyRepository, handles, repository

__all__ = ["SQLAlchemyRepository", "handles", "repository"]
