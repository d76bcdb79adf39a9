"""``@ajax``: give an existing Flask view ajaxkit's wire behaviour.

::

    @app.route("/notes/<int:pk>")
    @ajax(methods=["GET", "DELETE"], login_required=True)
    def note(pk: int, q: str = ""):
        return {"pk": pk, "q": q}

The mechanism is the core's :class:`~ajaxkit.core.wrapper.WrappedView`,
shared with Django's ``@ajax``: URL arguments and typed extra parameters
bind as for ``api.endpoint`` handlers, and ``flask.request`` stays usable.
What the view returns (dict, list, tuples, ``None``, a Flask response) and
raises (``abort(404)``, :class:`~ajaxkit.AjaxError`) goes through the same
pipeline as an endpoint's.  Put ``@app.route`` above ``@ajax`` and give the
methods to ``@ajax``: the wrapper accepts every method so that ajaxkit
answers 405 and OPTIONS.  Settings come from each app's ``app.config`` on its
first request.

``@ajax`` above ``@app.route`` is refused: the route would hold the view as
written, served without any of ajaxkit's checks.  Each wrapped view is
remembered (weakly); on an app's first request, and when a view is wrapped
inside an app context, the app's routes are searched for one serving a
wrapped view itself, and :class:`~ajaxkit.RegistrationError` names it.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from types import CodeType
from typing import Any, TypeVar, overload

import flask
from flask.sansio.app import App
from flask.signals import request_started
from flask.views import View

from ajaxkit.core.config import settings_from_config
from ajaxkit.core.endpoint import Permission
from ajaxkit.core.settings import Settings
from ajaxkit.core.wrapper import ExemptableView, ViewDecorator, WrappedViews
from ajaxkit.exceptions import RegistrationError
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.mount import ALL_METHODS, with_app_signer
from ajaxkit.flask.platform import FLASK_PLATFORM

__all__ = ["ajax"]

F = TypeVar("F", bound=Callable[..., Any])


#: Bare ``@ajax``: a decorator without options, shared by every view it wraps
#: (each still gets a wrapper, and an endpoint, of its own).
_BARE = ViewDecorator()


@overload
def ajax(view: F, /) -> F: ...


@overload
def ajax(
    *,
    methods: Iterable[str] | None = None,
    login_required: bool = False,
    permission: Permission | None = None,
    csrf_exempt: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> Callable[[F], F]: ...


def ajax(view: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Wrap a Flask view: ``@ajax`` or ``@ajax(methods=[...], login_required=True)``.

    Args:
        view: the view, when used bare.
        options: ``settings`` (the view's own, e.g. a compat profile;
            ``app.config`` is resolved over them) and the options of
            :meth:`ajaxkit.Ajax.endpoint` (``methods``, ``login_required``,
            ``permission``, ``csrf_exempt``, ...).
    """
    decorate = ViewDecorator(**options) if options else _BARE
    if view is not None:
        return _wrap(decorate, _not_a_class_view(view))
    return lambda func: _wrap(decorate, _not_a_class_view(func))


#: The code of the functions Flask's ``View.as_view`` makes (one per
#: ``init_every_request``): what ``decorators = [ajax]`` hands ``@ajax``.
_AS_VIEW_CODE = frozenset(
    const
    for const in vars(View)["as_view"].__func__.__code__.co_consts
    if isinstance(const, CodeType)
)


def _not_a_class_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, unless it is a class-based view's ``view(**kwargs)``.

    Its parameters are the URL's, passed on to the class's methods, so
    there is nothing for ajaxkit to bind; refused here, by name, rather
    than failing on ``as_view``'s annotations.
    """
    if getattr(view, "__code__", None) in _AS_VIEW_CODE:
        raise RegistrationError(
            f"Flask view {view.__name__!r}: @ajax (in a class's decorators) wraps "
            "functions, not a class-based view, whose parameters are its methods'. "
            "Route a function per method instead: @app.route(..., methods=[...]) "
            "above @ajax."
        )
    return view


def _resolve(declared: Settings) -> Settings:
    # The current app's config over the view's settings, signing tokens as
    # the app's mount does.
    app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    return with_app_signer(settings_from_config(declared, app.config), app)


def _wrap(decorate: ViewDecorator, view: Callable[..., Any]) -> Callable[..., Any]:
    views = ExemptableView(decorate, view)
    wrapped = views.wrapped
    exemptions = _Exemptions()

    @functools.wraps(wrapped.view)
    def wrapper(**view_args: Any) -> flask.Response:
        app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        request = to_ajax_request("", view_args)
        serving = wrapped
        if exemptions.apps is not None and app in exemptions.apps:
            serving = views.exempt()
        return to_flask_response(serving.dispatch(app, _resolve, request, FLASK_PLATFORM))

    _EXEMPTIONS[wrapper] = exemptions

    # Read by Flask's add_url_rule when @app.route names no methods.
    wrapper.methods = ALL_METHODS  # type: ignore[attr-defined]
    wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
    remember_wrapped(wrapped.view, wrapper)
    return wrapper


class _Exemptions:
    """The apps whose Flask-WTF ``csrf.exempt`` named one ``@ajax`` view."""

    __slots__ = ("apps",)

    def __init__(self) -> None:
        # None until an app exempts the view: its requests test only that.
        self.apps: weakref.WeakSet[App] | None = None

    def add(self, app: App) -> None:
        if self.apps is None:
            self.apps = weakref.WeakSet()
        self.apps.add(app)


#: Each wrapper ``@ajax`` returned, with the apps that exempted it.
_EXEMPTIONS: weakref.WeakKeyDictionary[Callable[..., Any], _Exemptions] = (
    weakref.WeakKeyDictionary()
)

#: Every view ``@ajax`` wrapped in this process, to find an app routing one as written.
_WRAPPED = WrappedViews()
#: The apps whose routes were found sound on their first request.
_CHECKED: weakref.WeakSet[App] = weakref.WeakSet()


def remember_wrapped(view: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
    """Note that ``wrapper`` serves ``view``: an app routing ``view`` itself is refused.

    For every decorator that wraps Flask views (the compatibility profiles'
    too), so that each is refused above ``@app.route`` as ``@ajax`` is.
    """
    _WRAPPED.add(view, wrapper)
    _check_first_requests()
    if flask.has_app_context():
        # An app factory importing its views inside app.app_context(): the
        # mistake is found where it is written, not on the first request.
        _refuse_unwrapped(flask.current_app)


@functools.cache
def _check_first_requests() -> None:
    # Connected on the first @ajax, so apps of a process that never wraps a
    # view pay nothing; weak=False, as the receiver is a module function.
    request_started.connect(_check_app, weak=False)


def _check_app(app: App, **_: Any) -> None:
    """Refuse ``app``'s requests while one of its routes serves a wrapped view itself.

    Flask sends ``request_started`` once it has marked the app as set up, so
    the routes are final (``add_url_rule`` is refused from then on), blueprint
    routes included; an app context is also pushed while the app is still
    being set up.  A sound app is never searched again: every request pays
    the signal's dispatch and a set membership test.  A misconfigured one
    fails every request, loudly (propagated in debug and testing, else
    logged by Flask with its 500).
    """
    if app in _CHECKED:
        return
    _refuse_unwrapped(app)
    _leave_csrf_of_wrapped_views_to_ajaxkit(app)
    _CHECKED.add(app)


def _leave_csrf_of_wrapped_views_to_ajaxkit(app: App) -> None:
    """Exempt ``app``'s ``@ajax`` views from Flask-WTF's ``CSRFProtect``, when
    the app has it, as the blueprint mount is: ajaxkit checks them itself
    (accepting Flask-WTF's tokens too) and answers a failure with a problem.

    Otherwise a page's own ``fetch()``, which ajaxkit lets through, got
    Flask-WTF's HTML 400, and ``csrf_exempt=True`` exempted nothing.  Run on
    the app's first request, from ``request_started``, which Flask sends
    before the ``before_request`` hook ``CSRFProtect`` checks in.
    Flask-WTF names an exempt view by its module and name: a name that an
    app view of its own also has stays guarded, for both.  An ``@ajax`` view
    the app's ``csrf.exempt`` names (above or below ``@ajax``) is exempt from
    ajaxkit's check too, in that app, as ``csrf_exempt=True`` makes it.
    """
    csrf = app.extensions.get("csrf")
    if csrf is None or not hasattr(csrf, "exempt"):
        return
    # What the app's own csrf.exempt named, read before ajaxkit adds its
    # views: the user's exemption, which ajaxkit honours too.  Flask-WTF
    # keeps no public list; without this one, nothing is exempted (the
    # safe way to miss).
    exempted_by_user = frozenset(getattr(csrf, "_exempt_views", ()))
    only_ours: dict[str, bool] = {}
    for view in app.view_functions.values():
        module, name = getattr(view, "__module__", None), getattr(view, "__name__", None)
        if module is None or name is None:
            continue
        location = f"{module}.{name}"
        wrappers = _WRAPPED.wrappers_in(view)
        only_ours[location] = only_ours.get(location, True) and bool(wrappers)
        if location in exempted_by_user:
            # @ajax's own wrappers (a profile's decorator wraps views too).
            for exemptions in filter(None, map(_EXEMPTIONS.get, wrappers)):
                exemptions.add(app)
    for location, ours in only_ours.items():
        if ours:
            csrf.exempt(location)


def _refuse_unwrapped(app: App) -> None:
    unwrapped = _WRAPPED.unwrapped(app.view_functions)
    if not unwrapped:
        return
    served = "; ".join(
        f"Flask endpoint {name!r} serves {_qualified(view)}" for name, view in unwrapped.items()
    )
    raise RegistrationError(
        f"{served} without its @ajax wrapper, so none of ajaxkit's checks"
        " (login_required, permission, CSRF, rate limits) run: Flask registers"
        " the function @app.route is given, and @ajax was applied after it."
        " Put @app.route (or @blueprint.route) above @ajax; to serve the view"
        " as written too, route a function of its own."
    )


def _qualified(view: Callable[..., Any]) -> str:
    name = getattr(view, "__qualname__", None)
    return f"{getattr(view, '__module__', '?')}.{name}" if name else repr(view)
