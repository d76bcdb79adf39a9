"""Handing a server-rendered Flask page its CSRF token."""

from __future__ import annotations

import flask

from ajaxkit.core.csrf import csrf_signer, page_token
from ajaxkit.core.registry import Ajax
from ajaxkit.flask.adapter import set_cookie
from ajaxkit.types import Cookie

__all__ = ["csrf_token"]


def csrf_token(api: Ajax) -> str:
    """The CSRF token for the page being rendered (``X-CSRFToken`` on unsafe calls).

    The client's current token is reused while valid; a new one sets its
    cookie on this response.  Make it a template global with
    ``app.jinja_env.globals["ajax_csrf_token"] = lambda: csrf_token(api)``.
    A page's own ``fetch()`` does not need it; scripts and old browsers do.
    """
    settings = api.settings
    token, cookie = page_token(
        flask.request.cookies, settings.csrf, csrf_signer(settings), settings.clock
    )
    if cookie is not None:
        flask.after_this_request(lambda response: _set(response, cookie))
    return token


def _set(response: flask.Response, cookie: Cookie) -> flask.Response:
    set_cookie(response, cookie)
    return response
