"""Mounting an :class:`~ajaxkit.Ajax` registry on Flask: a Blueprint, or the extension.

Settings come from ``app.config`` when the blueprint is registered on an app
(never at import time), by the rule every framework shares
(:mod:`ajaxkit.core.config`, ``docs/settings.md``): ``AJAXKIT_DEBUG``,
``AJAXKIT_MAX_BODY_SIZE``, ... (or one ``AJAXKIT = {...}`` dict) beat the
registry's own settings, which beat ``app.debug``.

CSRF tokens are signed with ``Settings.secret_key``, else ``app.secret_key``
(itsdangerous), unless the registry's policy names a signer of its own: the
same signer for an app's mount and its ``@ajax`` views, chosen for each app
(:func:`with_app_signer`).  A Flask-WTF ``CSRFProtect`` set up before the
blueprint leaves it to ajaxkit.

The registry's settings are global to it, so when one registry is mounted on
several apps, the last registration's config wins.
"""

from __future__ import annotations

import dataclasses
import functools

import flask
from flask.sansio.app import App
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import default_exceptions
from werkzeug.routing import PathConverter

from ajaxkit.core.errors import render_exception
from ajaxkit.core.registration_checks import check_mount
from ajaxkit.core.registry import Ajax, require_registry
from ajaxkit.core.settings import Settings
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.platform import FLASK_PLATFORM
from ajaxkit.signing import ItsdangerousSigner

__all__ = ["ALL_METHODS", "AjaxKit", "blueprint", "with_app_signer"]

#: The methods the catch-all rules are declared with; once registered they
#: accept every method (TRACE, FOO), so that the core answers 405 and OPTIONS.
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_CONVERTER = "ajaxkit_route"


class _RouteConverter(PathConverter):
    """werkzeug's ``path`` converter, newlines and leading slashes included.

    ``path`` stops at a newline, so ``/ajax/x%0d%0a...`` would get werkzeug's
    HTML 404, and never starts with a slash, so ``/ajax//x`` got its HTML
    308 (the rules merge no slashes); with this one every path below the
    mount reaches the core, which reads ``/x`` as ``x``.
    """

    regex = r"[\s\S]+?"
    # Said outright: werkzeug guesses it from a "/" in the regex, and there is none.
    part_isolating = False


def _add_converter(state: BlueprintSetupState) -> None:
    # Before the rules are added: werkzeug compiles a rule when it is added.
    state.app.url_map.converters.setdefault(_CONVERTER, _RouteConverter)


def _accept_every_method(state: BlueprintSetupState) -> None:
    # Flask always gives a rule a method set, and werkzeug answers a method
    # outside it with its HTML 405; ``None`` is werkzeug's "every method".
    endpoint = f"{state.name_prefix}.{state.name}.dispatch".lstrip(".")
    for rule in state.app.url_map.iter_rules(endpoint):
        rule.methods = None


def with_app_signer(settings: Settings, app: App) -> Settings:
    """``settings`` signing CSRF tokens with ``app``'s key, unless the code named a signer.

    The key is ``settings.secret_key`` (``AJAXKIT_SECRET_KEY``, else
    ``SECRET_KEY``), else ``app.secret_key``; the keys in
    ``settings.secret_key_fallbacks`` (``AJAXKIT_SECRET_KEY_FALLBACKS``, else
    ``SECRET_KEY_FALLBACKS`` with the app's key) are accepted too, as
    Flask's session accepts them, so rotating the key keeps open pages'
    tokens valid while the old key stays listed.  The mount and the ``@ajax``
    views both resolve through here, so a token either hands out passes the
    other; and it is applied to resolved settings only, never to what the
    code declared, so each app (an app factory's next one, a rotated key)
    signs with its own key.
    """
    policy, secret = settings.csrf, settings.secret_key or app.secret_key
    if policy.signer is not None or not secret:
        return settings
    fallbacks = settings.secret_key_fallbacks
    if settings.secret_key is None:  # the app's key, set after its config was read
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
    # itsdangerous's order, as Flask's session gives it: the current key last.
    signer = _itsdangerous_signer((*fallbacks, secret))
    return settings.replace(csrf=dataclasses.replace(policy, signer=signer))


@functools.lru_cache(maxsize=8)
def _itsdangerous_signer(keys: tuple[str | bytes, ...]) -> ItsdangerousSigner:
    # One signer per set of keys: the core remembers good signatures by
    # the signer's identity, so every request of an app must share it.
    return ItsdangerousSigner(keys)


def _configure(api: Ajax, app: App) -> None:
    api.apply_config(app.config)
    api.settings = with_app_signer(api.settings, app)


def blueprint(api: Ajax, name: str = "ajaxkit") -> flask.Blueprint:
    """A Blueprint serving every endpoint of ``api``.

    Register it with ``app.register_blueprint(bp, url_prefix="/ajax")``.  Two
    registries on one app need two different ``name``\\ s.
    """
    require_registry(api, "ajaxkit.flask.blueprint")
    check_mount(api.endpoints(), FLASK_PLATFORM.name)
    bp = flask.Blueprint(name, __name__)

    def view(route: str = "") -> flask.Response:
        return to_flask_response(api.dispatch(to_ajax_request(route), FLASK_PLATFORM))

    view.__name__ = "dispatch"
    _answer_errors(bp, api)
    bp.record(_add_converter)
    for rule in ("/", f"/<{_CONVERTER}:route>"):
        # Flask's automatic OPTIONS would hide the core's Allow answer.
        bp.add_url_rule(
            rule,
            view_func=view,
            methods=ALL_METHODS,
            provide_automatic_options=False,
            merge_slashes=False,
        )
    bp.record(_accept_every_method)
    bp.record(lambda state: _configure(api, state.app))
    bp.record(lambda state: _leave_csrf_to_ajaxkit(state.app, bp))
    return bp


def _answer_errors(bp: flask.Blueprint, api: Ajax) -> None:
    """Answer what is raised for a route of the mount outside its view as a problem.

    The app's before_request hooks (an API-key check, a maintenance switch,
    a session loader whose database is down) run after routing and before
    the view, where Flask would answer with werkzeug's HTML page or the
    app's own error handler.  A crash is logged and signalled as the view's
    are.  Flask hands its own routing redirects (strict slashes) to no handler.
    """

    def problem(exc: Exception) -> flask.Response:
        route = (flask.request.view_args or {}).get("route", "")
        request = to_ajax_request(route)
        return to_flask_response(render_exception(exc, api.settings, request, FLASK_PLATFORM))

    # Flask prefers the app's handler for a status (errorhandler(503) and
    # its maintenance page) to a blueprint's for a class: take every status.
    for code in default_exceptions:
        bp.register_error_handler(code, problem)
    bp.register_error_handler(Exception, problem)


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
        self.api = require_registry(api, "ajaxkit.flask.AjaxKit")
        self.url_prefix = url_prefix
        self.name = name
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Register the registry's blueprint on ``app`` (reads ``app.config``)."""
        app.register_blueprint(blueprint(self.api, self.name), url_prefix=self.url_prefix)
        app.extensions[self.name] = self
