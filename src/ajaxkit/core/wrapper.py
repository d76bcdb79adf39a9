"""One existing view served by ajaxkit: the mechanism behind every ``@ajax``.

Django's and Flask's ``@ajax`` decorators only translate: they build an
:class:`~ajaxkit.AjaxRequest` carrying the URL arguments the framework
captured, and hand it to a :class:`WrappedView`.  What the view gets is the
same everywhere:

* its first parameter, when it is named ``request`` (or annotated
  :class:`~ajaxkit.AjaxRequest`), is the framework's own request;
* URL arguments bind by name, checked against the parameter's type hint;
* every other parameter binds by name and type hint from the query string
  (GET, HEAD, DELETE) or the body (POST, PUT, PATCH), as for
  ``api.endpoint`` handlers;
* the options are those of :meth:`ajaxkit.Ajax.endpoint` (``methods``,
  ``login_required``, ``permission``, ``csrf_exempt``, ...), checked when the
  view is decorated; a view naming no ``methods`` answers the resolved
  ``default_methods`` (a configured ``DEFAULT_METHODS`` too), as a
  registry's endpoints do;
* ``settings`` are the view's own (a compatibility profile, say); the
  framework's configuration is resolved over them on the first request, by
  the rule of :mod:`ajaxkit.core.config`.

A wrapped view holds its endpoint and a one-route router, not a registry:
the client asset, OpenAPI and CSRF routes a registry serves could never be
reached below a single view, and building them cost each decorated view
about 2 ms.  :class:`ViewDecorator` is what ``@ajax(...)`` returns: Django's
``method_decorator`` applies it on every call of the method, so it reuses
the endpoint built on the first call and only rebinds the instance.

:class:`WrappedViews` remembers which views were wrapped, for frameworks
whose routes are declared by decorators: Flask's ``@app.route`` registers
the function it is given, so with ``@ajax`` written above it the view is
served as written, none of ajaxkit's checks run, and nothing says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from asgiref.sync import async_to_sync

from ajaxkit.core.effects import arun, run
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.pipeline import flow
from ajaxkit.core.platform import Platform
from ajaxkit.core.registration_checks import wrapped_chain
from ajaxkit.core.registry import build_endpoint, place
from ajaxkit.core.routing import Router
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import DEFAULT_STEPS, PolicyStep
from ajaxkit.core.transactions import TransactionSource
from ajaxkit.exceptions import RegistrationError
from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = [
    "CSRF_CHECKED_HERE",
    "ExemptableView",
    "SettingsResolver",
    "ViewDecorator",
    "WrappedView",
    "WrappedViews",
]


class _CsrfCheckedHere:
    """See :data:`CSRF_CHECKED_HERE`."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "CSRF_CHECKED_HERE"


#: The ``csrf_exempt`` mark of a view ``@ajax`` wrapped, on a framework whose
#: middleware skips a view so marked (Django): true, so the middleware
#: leaves the check to ajaxkit, which runs the framework's own and answers a
#: failure with a problem; and not ``True``, the framework's exemption, so
#: that a decorator copying it (``functools.wraps``) is not taken for one.
CSRF_CHECKED_HERE: Any = _CsrfCheckedHere()

#: ``resolve(declared)``: a view's own settings resolved over the framework's
#: configuration, as the integration resolves a mounted registry's.
SettingsResolver = Callable[[Settings], Settings]


class _SettingsDefaults(NamedTuple):
    """The two settings registration reads, as ``Settings()`` has them."""

    default_methods: tuple[str, ...] = Settings.default_methods
    steps: tuple[PolicyStep[Any], ...] = DEFAULT_STEPS


_SETTINGS_DEFAULTS = _SettingsDefaults()


class _ViewSettings:
    """A view's declared settings and, per owner, those resolved over its configuration."""

    def __init__(self, declared: Settings | None) -> None:
        # None: ajaxkit's defaults, made on the first request, since a
        # Settings() makes its own counter and idempotency stores.
        self._declared = declared
        self._resolved: weakref.WeakKeyDictionary[Any, Settings] = weakref.WeakKeyDictionary()

    def resolved(self, owner: Any, resolve: SettingsResolver) -> Settings:
        settings = self._resolved.get(owner)
        if settings is None:
            if self._declared is None:
                self._declared = Settings()
            settings = resolve(self._declared)
            self._resolved[owner] = settings
        return settings


class _Defaulted:
    """How a view naming no methods is served under other ``default_methods``.

    Shared by a view and its rebound twins: each other set of default
    methods is analysed once, by the first view that needs it, and kept
    without its handler (which may be bound to one request's instance).
    """

    __slots__ = ("analysed", "methods", "options")

    def __init__(self, methods: tuple[str, ...], options: Mapping[str, Any]) -> None:
        #: The default methods the view's own endpoint was built for.
        self.methods = methods
        self.options = options
        #: Endpoint fields (but the handler) by the default methods they answer.
        self.analysed: dict[tuple[str, ...], dict[str, Any]] = {}

    def endpoint(self, view: Callable[..., Any], settings: Settings) -> Endpoint:
        """``view``'s endpoint answering ``settings.default_methods``."""
        methods = settings.default_methods
        fields = self.analysed.get(methods)
        if fields is not None:
            return _calling(fields, view)
        try:
            endpoint = build_endpoint(
                "",
                view,
                default_methods=methods,
                steps=settings.steps,
                request_arg="native",
                **self.options,
            )
        except RegistrationError as exc:
            # Raised on its requests, long after @ajax ran: say what changed.
            raise RegistrationError(
                f"{exc} Its methods are the configured default_methods "
                f"(DEFAULT_METHODS: {', '.join(methods)}), since @ajax names none: "
                "give the view its own, @ajax(methods=[...])."
            ) from exc
        self.analysed[methods] = {
            f.name: getattr(endpoint, f.name)
            for f in dataclasses.fields(Endpoint)
            if f.name not in ("func", "sync_func")
        }
        return endpoint


class WrappedView:
    """A view served through its own endpoint, settings resolved per configuration.

    Args:
        view: the view as written.
        settings: the view's own settings (default: ajaxkit's defaults).
        methods: accepted methods (default ``settings.default_methods``).
        options: as for :meth:`ajaxkit.Ajax.endpoint`.

    Raises:
        RegistrationError: a bad option, naming the view.
    """

    def __init__(
        self,
        view: Callable[..., Any],
        *,
        settings: Settings | None = None,
        methods: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        self.view = view
        # What Settings() would hold, without making one (see _ViewSettings).
        defaults = settings or _SETTINGS_DEFAULTS
        # Built now, so that a bad option fails when the view's module is
        # imported rather than on its first request.
        self.endpoint = build_endpoint(
            "",
            view,
            default_methods=defaults.default_methods,
            steps=defaults.steps,
            methods=methods,
            request_arg="native",
            **options,
        )
        self.router = _serving(self.endpoint)
        self._settings = _ViewSettings(settings)
        # Named methods stay; the settings' defaults may be configured
        # otherwise (DEFAULT_METHODS), as they reach a registry's endpoints.
        self._defaulted = (
            None if methods is not None else _Defaulted(defaults.default_methods, options)
        )
        self._routers: dict[tuple[str, ...], Router] = {}

    def rebound(self, view: Callable[..., Any]) -> WrappedView:
        """This wrapped view calling ``view`` instead: the same method bound to
        another instance, analysed alike, sharing the resolved settings."""
        twin = object.__new__(WrappedView)
        twin.view = view
        twin.endpoint = _calling(self._fields, view)
        twin.router = _serving(twin.endpoint)
        twin._settings = self._settings
        twin._defaulted = self._defaulted
        twin._routers = {}
        return twin

    def _serving(self, settings: Settings) -> Router:
        """The router answering the methods ``settings`` give a view naming none."""
        defaulted = self._defaulted
        if defaulted is None or settings.default_methods == defaulted.methods:
            return self.router
        router = self._routers.get(settings.default_methods)
        if router is None:
            router = _serving(defaulted.endpoint(self.view, settings))
            self._routers[settings.default_methods] = router
        return router

    @functools.cached_property
    def _fields(self) -> dict[str, Any]:
        # dataclasses.replace() would list them on every call of a method.
        return {f.name: getattr(self.endpoint, f.name) for f in dataclasses.fields(Endpoint)}

    def settings(self, owner: Any, resolve: SettingsResolver) -> Settings:
        """The settings serving the view under ``owner`` (a Flask app, Django's
        settings), resolved by ``resolve`` on first use."""
        return self._settings.resolved(owner, resolve)

    def dispatch(
        self,
        owner: Any,
        resolve: SettingsResolver,
        request: AjaxRequest,
        platform: Platform,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` synchronously (WSGI), inside ``transactions``
        (see :meth:`ajaxkit.Ajax.dispatch`)."""
        settings = self.settings(owner, resolve)
        return run(flow(self._serving(settings), settings, request, platform, transactions))

    async def adispatch(
        self,
        owner: Any,
        resolve: SettingsResolver,
        request: AjaxRequest,
        platform: Platform,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` on the running event loop (ASGI), inside
        ``transactions`` (see :meth:`ajaxkit.Ajax.dispatch`)."""
        settings = self.settings(owner, resolve)
        return await arun(flow(self._serving(settings), settings, request, platform, transactions))


class ViewDecorator:
    """The options of one ``@ajax(...)``, wrapping each view it is applied to.

    Django's ``method_decorator`` applies it on every call of the method it
    decorates, to a ``functools.partial`` over the method bound to that
    call's instance.  The method is analysed on its first call only; later
    calls rebind the endpoint to their own instance (see
    :meth:`WrappedView.rebound`), which costs microseconds, not the
    milliseconds of reading a signature and building the policy steps.

    Args:
        settings, methods, options: as for :class:`WrappedView`.
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        methods: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        self._settings = settings
        self._methods = methods
        self._options = options
        # Lives as long as this decorator, which the decorated class holds.
        self._methods_seen: dict[Callable[..., Any], WrappedView] = {}

    def __call__(self, view: Callable[..., Any]) -> WrappedView:
        """Wrap ``view``, reusing the analysis of a method already seen."""
        method = _method_function(view)
        if method is None:
            return self._wrap(view)
        seen = self._methods_seen.get(method)
        if seen is not None:
            return seen.rebound(view)
        wrapped = self._wrap(view)
        # Kept holding the plain function, never called: holding this call's
        # partial would keep its instance (and its request) alive.
        self._methods_seen[method] = wrapped.rebound(method)
        return wrapped

    def with_options(self, **options: Any) -> ViewDecorator:
        """A decorator with these options over this one's (an integration
        translating a framework's own mark on a view, e.g. Django's
        ``csrf_exempt``, into the option it means)."""
        merged = {**self._options, **options}
        return ViewDecorator(settings=self._settings, methods=self._methods, **merged)

    def _wrap(self, view: Callable[..., Any]) -> WrappedView:
        return WrappedView(view, settings=self._settings, methods=self._methods, **self._options)


class ExemptableView:
    """A view as a decorator wraps it, and its twin exempt from CSRF, made on first need.

    For an integration whose framework can mark a view exempt where
    ``@ajax`` learns it only once requests come (Django's ``csrf_exempt``
    above ``@ajax``, Flask-WTF's ``csrf.exempt``): the integration reads
    the mark per request; both endpoints share the view and its options.
    """

    __slots__ = ("_decorate", "_exempt", "_view", "wrapped")

    def __init__(self, decorate: ViewDecorator, view: Callable[..., Any]) -> None:
        self._decorate = decorate
        self._view = view
        #: The view as ``decorate`` wraps it.
        self.wrapped = decorate(view)
        self._exempt: WrappedView | None = None

    def exempt(self) -> WrappedView:
        """The same view with ``csrf_exempt=True``, built on the first call."""
        exempt = self._exempt
        if exempt is None:
            exempt = self._exempt = self._decorate.with_options(csrf_exempt=True)(self._view)
        return exempt


class WrappedViews:
    """The views ``@ajax`` wrapped and the wrappers it returned, held weakly.

    A route serving one of those views rather than its wrapper serves it
    without ajaxkit: :meth:`unwrapped` finds such routes.  Whatever a view
    wraps (``__wrapped__``, as ``functools.wraps`` sets it) counts as wrapped
    too: ``@ajax`` above another decorator above the route leaves the route
    holding the function below both.  A view that wraps an ajaxkit wrapper
    (one ``@ajax`` view wrapped again with other options for another route,
    or under another decorator) runs ajaxkit's checks however it is routed.

    Views are told apart by identity, never by ``==`` or ``hash()``: a route
    may hold any callable, an unhashable one included, and looking at a
    route must not run the application's code.  A callable that cannot be
    weakly referenced (a builtin) is not remembered.
    """

    def __init__(self) -> None:
        # id() -> object, the entry dropped when the object dies: an identity
        # set whose ids cannot be reused by another object while present.
        self._views: weakref.WeakValueDictionary[int, Callable[..., Any]] = (
            weakref.WeakValueDictionary()
        )
        self._wrappers: weakref.WeakValueDictionary[int, Callable[..., Any]] = (
            weakref.WeakValueDictionary()
        )

    def add(self, view: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
        """Remember that ``wrapper`` serves ``view`` (and what ``view`` wraps)."""
        _hold(self._wrappers, wrapper)
        chain = wrapped_chain(view)
        # A chain reaching an ajaxkit wrapper runs ajaxkit's checks wherever
        # it is routed: what it holds is served, not bypassed.
        if not any(_holds(self._wrappers, wrapped) for wrapped in chain):
            for wrapped in chain:
                _hold(self._views, wrapped)

    def wrappers_in(self, view: Callable[..., Any]) -> list[Callable[..., Any]]:
        """The wrappers ``@ajax`` returned that ``view`` is or wraps, outermost first."""
        return [wrapped for wrapped in wrapped_chain(view) if _holds(self._wrappers, wrapped)]

    def unwrapped(self, routes: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
        """The routes (name -> view) that serve a wrapped view without its wrapper."""
        return {name: view for name, view in routes.items() if _holds(self._views, view)}


def _hold(held: weakref.WeakValueDictionary[int, Callable[..., Any]], view: Any) -> None:
    with contextlib.suppress(TypeError):  # cannot be weakly referenced
        held[id(view)] = view


def _holds(held: weakref.WeakValueDictionary[int, Callable[..., Any]], view: Any) -> bool:
    return held.get(id(view)) is view


def _method_function(view: Callable[..., Any]) -> Callable[..., Any] | None:
    """The function under ``partial(bound method)``, as ``method_decorator`` hands it."""
    if not isinstance(view, functools.partial) or view.args or view.keywords:
        return None
    bound = view.func
    return bound.__func__ if inspect.ismethod(bound) else None


def _calling(fields: Mapping[str, Any], view: Callable[..., Any]) -> Endpoint:
    """The endpoint of ``fields`` with ``view`` as its handler (its analysis kept)."""
    # As make_endpoint builds it: asgiref's wrapper lets WSGI serve an async handler.
    sync_func = async_to_sync(view) if fields["is_async"] else view
    return Endpoint(**{**fields, "func": view, "sync_func": sync_func})


def _serving(endpoint: Endpoint) -> Router:
    """A router holding ``endpoint`` alone, at the route ``""`` a wrapper dispatches."""
    router = Router()
    place(router, endpoint)
    return router
