"""Who is asking: the one definition of an authenticated user."""

from __future__ import annotations

from typing import Any

__all__ = ["is_authenticated"]


def is_authenticated(user: Any) -> bool:
    """Django, Flask-Login and Starlette users all answer ``is_authenticated``.

    ``None`` is anonymous; an object without the attribute (a user returned
    by a ``user_loader``) counts as authenticated.
    """
    return user is not None and bool(getattr(user, "is_authenticated", True))
