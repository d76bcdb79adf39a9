"""Mounting an :class:`~ajaxkit.Ajax` registry on Flask: a Blueprint, or the extension.

Settings from ``app.config``, read when the blueprint is registered on an
app (never at import time):

``AJAXKIT_DEBUG``
    ``True``/``False`` sets ``debug``.  When absent, a debug app
    (``app.debug``) turns ajaxkit's debug on; a registry built with
    ``Ajax(debug=True)`` is never turned off by a non-debug app.
``AJAXKIT_MAX_BODY_SIZE``
    sets ``max_body_size`` (bytes).
``AJAXKIT_CSRF_TRUSTED_ORIGINS``
    origins trusted for unsafe requests (give flask-cors the same list).
``AJAXKIT_LOGIN_URL``
    the ``login_url`` of 401 problems.

CSRF tokens are signed with ``app.secret_key`` (itsdangerous) unless the
registry's policy names a signer or key of its own.

The registry's settings are global to it, so when one registry is mounted on
several apps, the last registration's config wins.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flask
from flask.sansio.app import App

from ajaxkit.core.csrf import CsrfPolicy
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.platform import FLASK_PLATFORM
from ajaxkit.signing import ItsdangerousSigner

__all__ = ["ALL_METHODS", "AjaxKit", "blueprint", "config_settings"]

#: The methods the catch-all rules accept; the core answers 405 and OPTIONS.
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def config_settings(app: App, settings: Settings) -> dict[str, Any]:
    """The setting changes ``app.config`` asks for, given the current ``settings``."""
    config = app.config
    debug = config.get("AJAXKIT_DEBUG")
    if debug is None:
        debug = settings.debug or app.debug
    changes: dict[str, Any] = {"debug": bool(debug)}
    if config.get("AJAXKIT_MAX_BODY_SIZE") is not None:
        changes["max_body_size"] = int(config["AJAXKIT_MAX_BODY_SIZE"])
    if config.get("AJAXKIT_LOGIN_URL") is not None:
        changes["login_url"] = str(config["AJAXKIT_LOGIN_URL"])
    csrf = _csrf_changes(app, settings.csrf)
    if csrf:
        changes["csrf"] = dataclasses.replace(settings.csrf, **csrf)
    return changes


def _csrf_changes(app: App, policy: CsrfPolicy) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    trusted = app.config.get("AJAXKIT_CSRF_TRUSTED_ORIGINS")
    if trusted is not None:
        changes["trusted_origins"] = tuple(trusted)
    if policy.signer is None and policy.secret_key is None and app.secret_key:
        changes["signer"] = ItsdangerousSigner(app.secret_key)
    return changes


def blueprint(api: Ajax, name: str = "ajaxkit") -> flask.Blueprint:
    """A Blueprint serving every endpoint of ``api``.

    Register it with ``app.register_blueprint(bp, url_prefix="/ajax")``.  Two
    registries on one app need two different ``name``\\ s.
    """
    bp = flask.Blueprint(name, __name__)

    def view(route: str = "") -> flask.Response:
        return to_flask_response(api.dispatch(to_ajax_request(route), FLASK_PLATFORM))

    view.__name__ = "dispatch"
    for rule in ("/", "/<path:route>"):
        # Flask's automatic OPTIONS would hide the core's Allow answer.
        bp.add_url_rule(rule, view_func=view, methods=ALL_METHODS, provide_automatic_options=False)
    bp.record(lambda state: api.configure(**config_settings(state.app, api.settings)))
    bp.record(lambda state: _leave_csrf_to_ajaxkit(state.app, bp))
    return bp


def _leave_csrf_to_ajaxkit(app: App, bp: flask.Blueprint) -> None:
    # Flask-WTF's CSRFProtect (when set up before us) would answer our
    # endpoints with its HTML 400; the core's policy, which accepts its
    # tokens too, answers them instead.
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        csrf.exempt(bp)


class AjaxKit:
    """The Flask extension form of :func:`blueprint`::

        ajaxkit = AjaxKit(api=api)          # then ajaxkit.init_app(app)
        AjaxKit(app, api=api, url_prefix="/ajax")

    Args:
        app: the app to mount on now, or ``None`` to call :meth:`init_app` later.
        api: the registry to serve.
        url_prefix: where its endpoints live.
        name: the blueprint name (unique per app).
    """

    def __init__(
        self,
        app: flask.Flask | None = None,
        *,
        api: Ajax,
        url_prefix: str = "/ajax",
        name: str = "ajaxkit",
    ) -> None:
        self.api = api
        self.url_prefix = url_prefix
        self.name = name
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Register the registry's blueprint on ``app`` (reads ``app.config``)."""
        app.register_blueprint(blueprint(self.api, self.name), url_prefix=self.url_prefix)
        app.extensions[self.name] = self
