"""Flask's facts for the core: native responses and werkzeug exceptions.

Werkzeug ``HTTPException`` (``abort(404)``, ``NotFound()``, ...) is
translated into our tree here and nowhere else, by status:

* a status with a class of its own (400, 401, 403, 404, 405, 406, 409, 410,
  412, 413, 415, 422, 428, 429, 500, 503) becomes that class;
* any other 4xx/5xx becomes a generic error carrying that status, its code
  the snake-cased reason phrase (418 -> ``im_a_teapot``).

``description`` becomes the problem ``detail`` only when the code that raised
the exception gave one (``abort(404, "No note 7")``).  Werkzeug's class
default text ("The requested URL was not found on the server. If you entered
the URL manually...") talks about URLs and spelling, which is wrong for an
AJAX endpoint, so the default detail of our class is used instead.  Headers
werkzeug attaches (``Allow``, ``WWW-Authenticate``, ``Retry-After``) are kept.
"""

from __future__ import annotations

import importlib

import flask
from flask.signals import got_request_exception
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from ajaxkit.core.platform import (
    DecoratorAdvice,
    Platform,
    amend_status_code,
    declare,
    view_decorator_check,
)
from ajaxkit.exceptions import (
    AjaxError,
    MethodNotAllowed,
    ValidationFailed,
    error_class_for_status,
)
from ajaxkit.types import AjaxRequest, NativeSummary

__all__ = ["FLASK_PLATFORM", "translate_exception"]


def translate_exception(exc: BaseException) -> AjaxError | None:
    """The :class:`~ajaxkit.AjaxError` for a werkzeug ``HTTPException``, else ``None``."""
    if not isinstance(exc, HTTPException):
        return None
    status = exc.code or (exc.response.status_code if exc.response is not None else None)
    if status is None or status < 400:
        return None
    detail = exc.description if "description" in vars(exc) else None
    if status == 405:
        return MethodNotAllowed(getattr(exc, "valid_methods", None) or (), detail)
    if status == 422:
        return ValidationFailed([], detail)
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_class_for_status(status)(detail, headers=headers)


def describe_native(response: WerkzeugResponse) -> NativeSummary:
    """Status, body, content type and headers of a Flask response (its cookies
    are ``Set-Cookie`` headers already); a streamed body is left unread."""
    headers = tuple(response.headers.items())
    streamed = response.is_streamed
    body = b"" if streamed else response.get_data()
    return NativeSummary(response.status_code, body, response.mimetype, headers, streamed)


def accept_flask_wtf_token(request: AjaxRequest, token: str) -> bool:
    """Whether Flask-WTF's ``CSRFProtect``, when the app has it, issued ``token``.

    Pages already rendering ``{{ csrf_token() }}`` keep working unchanged.
    """
    if "csrf" not in flask.current_app.extensions:
        return False
    csrf = importlib.import_module("flask_wtf.csrf")
    try:
        csrf.validate_csrf(token)
    except csrf.ValidationError:
        return False
    return True


def credential_cookies() -> tuple[str, ...]:
    """The cookies Flask-Login loads ``current_user`` from, by their configured
    names: the session cookie (``SESSION_COOKIE_NAME``, which a ``user_loader``
    reading ``flask.session`` needs too) and, when the app has a login
    manager, the remember-me cookie (``REMEMBER_COOKIE_NAME``)."""
    app = flask.current_app
    session: str = app.config["SESSION_COOKIE_NAME"]
    if getattr(app, "login_manager", None) is None:
        return (session,)
    default = importlib.import_module("flask_login.config").COOKIE_NAME
    return (session, app.config.get("REMEMBER_COOKIE_NAME", default))


def signal_exception(exc: BaseException) -> None:
    """Send Flask's ``got_request_exception`` for ``exc``, as Flask's own
    ``handle_exception`` does for a view's crash: error trackers (Sentry's
    and Rollbar's Flask integrations) listen there, not to ajaxkit's log.

    Only within the app's context, as Flask signals: a streamed answer's
    generator fails after the view returned, outside it, where Flask sends
    no signal either (the failure is logged, rule T3).
    """
    if not flask.has_app_context():
        return
    app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=exc)


def flask_login_decorators() -> DecoratorAdvice:
    """Flask-Login's view decorators, when it is installed, and what an
    endpoint writes instead: under ``@api.endpoint`` they answered an
    anonymous ``fetch()`` with the login manager's redirect."""
    try:
        flask_login = importlib.import_module("flask_login")
    except ImportError:
        return ()
    return (
        (
            (flask_login.login_required, flask_login.fresh_login_required),
            "Flask-Login's login_required (as fresh_login_required) answers an anonymous "
            "fetch() with the login manager's redirect to its login_view; remove it and "
            "write @api.endpoint(..., login_required=True) for a 401 problem, or "
            "permission=lambda request: ... for a 403.",
        ),
    )


#: The platform :func:`ajaxkit.flask.blueprint` and :func:`ajaxkit.flask.ajax`
#: dispatch with: the core's CSRF policy, also accepting Flask-WTF's tokens.
FLASK_PLATFORM = declare(
    Platform(
        name="flask",
        user_source="Flask-Login (flask_login.LoginManager(app) and a user_loader)",
        credential_cookies=credential_cookies,
        native_response_types=(WerkzeugResponse,),
        translate_exception=translate_exception,
        accept_csrf_token=accept_flask_wtf_token,
        describe_native=describe_native,
        amend_native=amend_status_code,
        request_types=(flask.Request,),
        check_decorator=view_decorator_check(flask_login_decorators),
        upload_types=(FileStorage,),
        report_exception=signal_exception,
    )
)
