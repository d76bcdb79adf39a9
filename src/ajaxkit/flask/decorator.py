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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

import flask

from ajaxkit.core.endpoint import Permission
from ajaxkit.core.settings import Settings
from ajaxkit.core.wrapper import ViewDecorator, WrappedView, from_config
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.mount import ALL_METHODS
from ajaxkit.flask.platform import FLASK_PLATFORM

__all__ = ["ajax"]

F = TypeVar("F", bound=Callable[..., Any])


#: Bare ``@ajax`` (``method_decorator(ajax)`` applies it per call, so it keeps
#: what it learned about each method, as ``ajax(...)``'s decorators do).
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
        return _wrap(decorate(view))
    return lambda func: _wrap(decorate(func))


def _app_config() -> flask.Config:
    return flask.current_app.config


_RESOLVE = from_config(_app_config)


def _wrap(wrapped: WrappedView) -> Callable[..., Any]:
    @functools.wraps(wrapped.view)
    def wrapper(**view_args: Any) -> flask.Response:
        app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        request = to_ajax_request("", view_args)
        return to_flask_response(wrapped.dispatch(app, _RESOLVE, request, FLASK_PLATFORM))

    # Read by Flask's add_url_rule when @app.route names no methods.
    wrapper.methods = ALL_METHODS  # type: ignore[attr-defined]
    wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
    return wrapper
