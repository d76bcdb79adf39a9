"""``@ajax``: give an existing Flask view ajaxkit's wire behaviour.

::

    @app.route("/notes/<int:pk>")
    @ajax(methods=["GET", "DELETE"], login_required=True)
    def note(pk):
        return {"pk": pk, "q": flask.request.args.get("q")}

The view keeps its URL arguments and reads ``flask.request`` as usual; what it
returns (dict, list, tuples, ``None``, a Flask response) and raises
(``abort(404)``, :class:`~ajaxkit.AjaxError`) goes through the same pipeline as
an ``api.endpoint`` handler.  Put ``@app.route`` above ``@ajax`` and give the
methods to ``@ajax``: the wrapper accepts every method so that ajaxkit answers
405 and OPTIONS.

Each view is served by a private one-endpoint registry per app, whose
settings come from that app's ``AJAXKIT_*`` config on its first request.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

import flask

from ajaxkit.core.endpoint import Permission
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings
from ajaxkit.flask.adapter import to_ajax_request, to_flask_response
from ajaxkit.flask.mount import ALL_METHODS, config_settings
from ajaxkit.flask.platform import FLASK_PLATFORM
from ajaxkit.types import AjaxRequest

__all__ = ["ajax"]

F = TypeVar("F", bound=Callable[..., Any])

_VIEW_ARGS = "ajaxkit.flask.view_args"


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


def ajax(
    view: Callable[..., Any] | None = None, /, *, settings: Settings | None = None, **options: Any
) -> Any:
    """Wrap a Flask view: ``@ajax`` or ``@ajax(methods=[...], login_required=True)``.

    Args:
        view: the view, when used bare.
        settings: the view's settings (a compat profile, say); ``app.config``
            is applied over them.
        options: as for :meth:`ajaxkit.Ajax.endpoint` (``methods``,
            ``login_required``, ``permission``, ``csrf_exempt``, ...).
    """
    if view is not None:
        return _wrap(view, options, settings or Settings())
    return functools.partial(_wrap, options=options, settings=settings or Settings())


def _wrap(
    view: Callable[..., Any], options: dict[str, Any], settings: Settings
) -> Callable[..., Any]:
    handler = _handler(view)
    # Registries are made per app on first request; make one now so that bad
    # options fail at import time rather than on that request.
    Ajax().add("", handler, **options)
    registries: weakref.WeakKeyDictionary[flask.Flask, Ajax] = weakref.WeakKeyDictionary()

    def registry(app: flask.Flask) -> Ajax:
        api = registries.get(app)
        if api is None:
            api = Ajax(settings.replace(**config_settings(app, settings)))
            api.add("", handler, **options)
            registries[app] = api
        return api

    @functools.wraps(view)
    def wrapper(**view_args: Any) -> flask.Response:
        api = registry(flask.current_app._get_current_object())  # type: ignore[attr-defined]
        request = to_ajax_request("")
        request.state[_VIEW_ARGS] = view_args
        return to_flask_response(api.dispatch(request, FLASK_PLATFORM))

    # Read by Flask's add_url_rule when @app.route names no methods.
    wrapper.methods = ALL_METHODS  # type: ignore[attr-defined]
    wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
    return wrapper


def _handler(view: Callable[..., Any]) -> Callable[[AjaxRequest], Any]:
    """A handler calling ``view`` with its URL arguments.

    The view's parameters are Flask's URL arguments, already converted by
    Flask's routing; they must not go through ajaxkit's parameter binding,
    which would look for them in the query string.
    """

    async def call_async(request: AjaxRequest) -> Any:
        return await view(**request.state[_VIEW_ARGS])

    def call(request: AjaxRequest) -> Any:
        return view(**request.state[_VIEW_ARGS])

    handler = call_async if inspect.iscoroutinefunction(view) else call
    # Logs and debug output name the view, not this adapter.
    handler.__name__, handler.__qualname__ = view.__name__, view.__qualname__
    handler.__module__ = view.__module__
    return handler
