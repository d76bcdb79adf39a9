"""Who is asking: the one definition of an authenticated user."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

from ajaxkit.exceptions import ConfigurationWarning

__all__ = ["is_authenticated", "warn_no_user_source"]

# Platforms already warned about: once per process is enough to be seen.
_WARNED: set[str] = set()


def is_authenticated(user: Any) -> bool:
    """Django, Flask-Login and Starlette users all answer ``is_authenticated``.

    ``None`` is anonymous; an object without the attribute (a user returned
    by a ``user_loader``) counts as authenticated.
    """
    return user is not None and bool(getattr(user, "is_authenticated", True))


def warn_no_user_source(platform_name: str, missing: str | None) -> None:
    """Warn once that ``login_required`` can never pass: nothing sets the user.

    Called when loading the user gave ``None`` and no ``user_loader`` is set;
    ``missing`` is the piece the integration says is absent (its
    ``Platform.user_source``), ``None`` when none is expected.
    """
    if missing is None or platform_name in _WARNED:
        return
    _WARNED.add(platform_name)
    message = (
        f"ajaxkit on {platform_name}: an endpoint needs the user, but nothing sets it, "
        f"so every call gets 401. Add {missing}, or set Settings.user_loader."
    )
    # Warnings turned into errors (-W error) must not turn the 401 into a 500.
    with contextlib.suppress(ConfigurationWarning):
        warnings.warn(message, ConfigurationWarning, stacklevel=2)
