"""Fetch-aware login for the app's own views: 401 for a fetch, the redirect for a page.

Flask-Login's ``login_required`` redirects an anonymous request to the login
view; a ``fetch()`` follows it silently and gets HTML where it expected
JSON.  After ``fetch_aware_login(login_manager)``, a request from script
(:func:`ajaxkit.core.auth.is_fetch`) gets a 401 problem whose ``login_url``
is where the redirect would have gone; a browser navigation still gets the
redirect (or whatever ``unauthorized`` did before).
"""

from __future__ import annotations

import importlib
from typing import Any

import flask

from ajaxkit.core.auth import is_fetch, login_problem
from ajaxkit.core.settings import Settings
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.platform import FLASK_PLATFORM
from ajaxkit.types import Headers

__all__ = ["fetch_aware_login"]

_SETTINGS = Settings()


def fetch_aware_login(login_manager: Any) -> None:
    """Make ``login_manager.unauthorized()`` answer fetch requests with a 401 problem.

    Args:
        login_manager: the app's ``flask_login.LoginManager``.
    """
    original = login_manager.unauthorized

    def unauthorized() -> Any:
        if not is_fetch(Headers(flask.request.headers.items())):
            return original()
        request = to_ajax_request(route="")
        problem = login_problem(request, _SETTINGS, FLASK_PLATFORM, _login_url(login_manager))
        return to_flask_response(problem)

    login_manager.unauthorized = unauthorized


def _login_url(login_manager: Any) -> str | None:
    """Where Flask-Login's ``unauthorized`` would redirect, as it chooses it.

    A blueprint listed in ``blueprint_login_views`` with no view (``None``)
    is answered with a bare 401 there, not sent to the app's login view.
    """
    views = login_manager.blueprint_login_views
    view = views.get(flask.request.blueprint, login_manager.login_view)
    if not view:
        return None
    flask_login = importlib.import_module("flask_login")
    return str(flask_login.login_url(view, next_url=flask.request.url))
