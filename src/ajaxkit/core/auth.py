"""Who is asking: the one definition of an authenticated user, and of a fetch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ajaxkit.core.errors import render_exception
from ajaxkit.exceptions import Unauthorized

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = ["is_authenticated", "is_fetch", "login_problem"]

# Sec-Fetch-Mode values of a browser navigation, which should be redirected.
_NAVIGATIONS = frozenset({"navigate", "nested-navigate"})


def is_authenticated(user: Any) -> bool:
    """Django, Flask-Login and Starlette users all answer ``is_authenticated``.

    ``None`` is anonymous; an object without the attribute (a user returned
    by a ``user_loader``) counts as authenticated.
    """
    return user is not None and bool(getattr(user, "is_authenticated", True))


def is_fetch(headers: Mapping[str, str]) -> bool:
    """Whether a request came from script (``fetch``/XHR) rather than a navigation.

    Fetch Metadata decides when the browser sends it (``Sec-Fetch-Mode``,
    then ``Sec-Fetch-Dest``); otherwise ``X-Requested-With: XMLHttpRequest``
    (jQuery, htmx) or an ``Accept`` asking for JSON and not HTML.
    """
    mode = headers.get("sec-fetch-mode")
    if mode is not None:
        return mode.strip().lower() not in _NAVIGATIONS
    dest = headers.get("sec-fetch-dest")
    if dest is not None:
        return dest.strip().lower() == "empty"
    if headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return True
    accept = headers.get("accept", "").lower()
    return "json" in accept and "text/html" not in accept


def login_problem(
    request: AjaxRequest, settings: Settings, platform: Platform, login_url: str | None
) -> AjaxResponse:
    """The 401 problem a fetch gets instead of a login redirect, with ``login_url``."""
    error = Unauthorized() if login_url is None else Unauthorized(login_url=login_url)
    response = render_exception(error, settings, request, platform)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
