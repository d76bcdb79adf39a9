"""Who is asking: the one definition of an authenticated user, and of a fetch."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ajaxkit.core.errors import render_exception
from ajaxkit.exceptions import ConfigurationWarning, Unauthorized

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = [
    "carries_credentials",
    "is_authenticated",
    "is_fetch",
    "is_login_redirect",
    "login_problem",
    "warn_no_user_source",
]

# Sec-Fetch-Mode values of a browser navigation, which should be redirected.
_NAVIGATIONS = frozenset({"navigate", "nested-navigate"})
# Platforms already warned about: once per process is enough to be seen.
_WARNED: set[str] = set()


def is_authenticated(user: Any) -> bool:
    """Django, Flask-Login and Starlette users all answer ``is_authenticated``.

    ``None`` is anonymous; an object without the attribute (a user returned
    by a ``user_loader``) counts as authenticated.
    """
    return user is not None and bool(getattr(user, "is_authenticated", True))


def carries_credentials(request: AjaxRequest, platform: Platform) -> bool:
    """Whether ``request`` carries what its user would be loaded from (rule Y2).

    An ``Authorization`` header (a ``user_loader``, or a proxy in front, may
    know the caller by it), or a cookie the platform loads its user from
    (``Platform.credential_cookies``: the session cookie by its configured
    name).  Cheap on purpose, as it is asked of every request whose user
    nothing loaded: at most two header lookups, and the ``Cookie`` header,
    when there is one, searched for those names rather than parsed.
    """
    headers = request.headers
    if "authorization" in headers:
        return True
    named = platform.credential_cookies
    if named is None:
        return False
    cookie = headers.get("cookie")
    if not cookie:
        return False
    return any(holds_cookie(cookie, name) for name in named())


def holds_cookie(header: str, name: str) -> bool:
    """Whether the ``Cookie`` header ``header`` holds a non-empty cookie ``name``.

    ``name`` counts where a cookie starts (the header's start, or after a
    ``;``) and is followed by ``=``, blanks around either allowed as the
    frameworks' parsers allow them, so ``xsessionid=1`` is no
    ``sessionid``; an empty value (a cookie being deleted) names nothing.
    Where a parser would see the cookie, this sees it too; a repeated name,
    or a ``;`` inside a quoted value, may make it see one a parser would
    not, which errs towards ``no-store``, the safe side.
    """
    at = header.find(name) if name else -1
    while at != -1:
        before = header[:at].rstrip(" \t")
        after = header[at + len(name) :].lstrip(" \t")
        starts = not before or before[-1] == ";"
        if starts and after[:1] == "=" and after[1:].partition(";")[0].strip(' \t"'):
            return True
        at = header.find(name, at + 1)
    return False


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


def is_login_redirect(location: str, login_path: str | None, own_urls: Collection[str]) -> bool:
    """Whether a redirect to ``location`` sends the caller to a login page.

    It does when it goes to the configured login page (``login_path``), or
    when a field of its query holds the request's own URL (``own_urls``: its
    path with query string, and its absolute URL) for the login page to send
    the caller back to.  That is what Django's ``redirect_to_login`` writes
    for ``login_required(login_url=...)``, ``user_passes_test`` and
    ``LoginRequiredMixin``, under whatever field name the view chose.  A
    redirect to the request's own path is not one: no login page is the page
    it protects, and such a redirect only rewrites the query.
    """
    target = urlsplit(location)
    if login_path is not None and target.path == login_path:
        return True
    if target.path in {urlsplit(url).path for url in own_urls}:
        return False
    return any(value in own_urls for _, value in parse_qsl(target.query))


def login_problem(
    request: AjaxRequest, settings: Settings, platform: Platform, login_url: str | None
) -> AjaxResponse:
    """The 401 problem a fetch gets instead of a login redirect, with ``login_url``."""
    error = Unauthorized() if login_url is None else Unauthorized(login_url=login_url)
    response = render_exception(error, settings, request, platform)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
