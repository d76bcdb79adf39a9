"""The :class:`Ajax` registry: endpoints, settings, and the dispatch entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar, overload

from ajaxkit.core.assets import serve_client
from ajaxkit.core.config import over_config, settings_from_config
from ajaxkit.core.effects import arun, run
from ajaxkit.core.endpoint import WEBSOCKET, Endpoint, Permission, RequestArg, make_endpoint
from ajaxkit.core.pipeline import flow
from ajaxkit.core.platform import REFERENCE, Platform, declared_platforms
from ajaxkit.core.registration_checks import (
    check_catch_all,
    check_decorators,
    check_free,
    check_registration,
    check_route,
    default_route,
    explained,
)
from ajaxkit.core.routing import Router, normalize_route, param_names
from ajaxkit.core.settings import Settings, as_keywords
from ajaxkit.core.steps import PolicyStep
from ajaxkit.core.transactions import TransactionSource
from ajaxkit.exceptions import ConfigurationError
from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = ["Ajax", "build_endpoint", "place", "require_registry"]

F = TypeVar("F", bound=Callable[..., Any])


#: Where every registry hands out CSRF tokens.
CSRF_ROUTE = "_csrf"


def _csrf_token() -> None:
    """Never called: the CSRF step answers this endpoint during admission."""
    raise AssertionError("answered by the CSRF step")


#: The route decorators of FastAPI's app and router and of Flask's app.
_OTHER_FRAMEWORKS_DECORATORS = frozenset(
    {"get", "post", "put", "patch", "delete", "route", "api_route"}
)

#: How each framework mounts a registry, for the registry given where the
#: framework wants its own kind of object.
_MOUNTING = (
    'app.mount("/ajax", ajaxkit.fastapi.app(api)) on FastAPI, '
    'Mount("/ajax", app=ajaxkit.starlette.app(api)) on Starlette, '
    'app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax") on Flask, '
    'path("ajax/", include(ajaxkit.django.urls(api))) on Django'
)

#: Attributes frameworks reach for on what they are given to mount
#: (Flask's register_blueprint calls ``register``; FastAPI's include_router
#: ``_contains_router`` or ``routes``; Django's admin is ``admin.site.urls``).
_MOUNT_ATTRIBUTES = {
    "register": 'app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax")',
    "_contains_router": 'app.mount("/ajax", ajaxkit.fastapi.app(api))',
    "routes": 'app.mount("/ajax", ajaxkit.fastapi.app(api))',
    "urls": 'path("ajax/", include(ajaxkit.django.urls(api)))',
}


def _settings(given: object) -> Settings:
    """``Ajax``'s ``settings`` argument, checked; a mistake says what to pass.

    Settings are an object passed in, so a mapping is refused rather than
    read, as ``Live`` refuses one: it failed as an ``AttributeError`` naming
    no setting, and an empty one passed for the defaults.
    """
    if given is None:
        return Settings()
    if isinstance(given, Settings):
        return given
    fields = as_keywords(given, "debug=True")
    raise ConfigurationError(
        f"Ajax(settings={given!r}): give a Settings, settings=Settings({fields}), "
        f"or the settings as keywords, Ajax({fields})."
    )


class _Defaulted(NamedTuple):
    """An endpoint registered without ``methods=``, and how to build it again."""

    endpoint: Endpoint
    #: The default methods it was built with.
    methods: tuple[str, ...]
    route: str
    func: Callable[..., Any]
    #: :meth:`Ajax.add`'s other arguments.
    options: dict[str, Any]


class Ajax:
    """A registry of AJAX endpoints and the settings they are served with.

    Mount it with an integration (``ajaxkit.django.urls(api)``,
    ``ajaxkit.flask.blueprint(api)``, ``ajaxkit.starlette.app(api)``).

    Args:
        settings: a :class:`Settings` (a mapping is a ``ConfigurationError``
            saying what to give); keyword ``overrides`` are applied to it
            (``Ajax(debug=True)``).
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = _settings(settings)
        self.settings: Settings = base.replace(**overrides) if overrides else base
        # What the code asked for, kept apart from what a mount resolved, so
        # that mounting again (another app) starts from the code's choice.
        self._declared = self.settings
        self.router = Router()
        # Endpoints that named no methods: they answer the settings' default
        # methods, which a mount may configure after they were registered.
        self._defaulted: list[_Defaulted] = []
        # The configuration the last mount resolved the settings from.
        self._config: Mapping[str, Any] | None = None
        #: Registered models → their ``ModelResource`` (see :meth:`model`).
        self.models: dict[Any, Any] = {}
        # Every mount serves its browser client (``<mount>/ajaxkit.js``).
        serve_client(self)
        if any("csrf_issue" in step.options for step in self.settings.steps):
            # GET <mount>/_csrf hands a page its CSRF token (the CSRF step answers it).
            self.add(CSRF_ROUTE, _csrf_token, methods=("GET",), csrf_issue=True)

        # Imported here: the document generator builds on this module.
        from ajaxkit.core.openapi import add_doc_routes

        add_doc_routes(self)

    if not TYPE_CHECKING:  # a type checker keeps flagging misspelt attributes

        def __getattr__(self, name: str) -> Any:
            # Only for names not found the usual way: FastAPI's @app.get(...)
            # and Flask's @app.route(...) are how newcomers reach for a route.
            if name in _OTHER_FRAMEWORKS_DECORATORS:
                method = "GET" if name in ("route", "api_route") else name.upper()
                raise AttributeError(
                    f"'Ajax' object has no attribute {name!r}: register handlers with "
                    f'@api.endpoint("items", methods=["{method}"]) (GET, HEAD and POST '
                    "when methods= is left out)."
                )
            if name in _MOUNT_ATTRIBUTES:
                raise AttributeError(
                    f"'Ajax' object has no attribute {name!r}: a registry is mounted "
                    f"through its framework's integration: {_MOUNT_ATTRIBUTES[name]}."
                )
            raise AttributeError(f"'Ajax' object has no attribute {name!r}")

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        # Starlette's Mount calls what it was given: app.mount("/ajax", api)
        # failed on every request with "'Ajax' object is not callable".
        raise TypeError(
            f"An Ajax registry is not an app: mount what its framework's integration "
            f"makes of it, {_MOUNTING}."
        )

    def configure(self, **changes: Any) -> None:
        """Replace settings, as if the registry had been built with them.

        After a mount, what its configuration gives still wins
        (``docs/settings.md``): ``configure(debug=True)`` once beat
        ``AJAXKIT_DEBUG = False`` until the next mount.
        """
        declared = self._declared.replace(**changes)
        settings = self.settings.replace(**changes)
        if self._config is not None:
            settings = over_config(settings, declared, self._config)
        self._serve(settings)
        self._declared = declared

    def apply_config(self, config: Mapping[str, Any], *, dedicated: bool = False) -> None:
        """Resolve settings from a framework's configuration (integrations call
        this at mount time); see :mod:`ajaxkit.core.config` for the rule.

        ``dedicated``: ``config`` was given to ajaxkit alone (a ``config=``
        argument) rather than being the framework's own configuration.
        """
        self._serve(settings_from_config(self._declared, config, dedicated=dedicated))
        self._config = dict(config)  # as it was read: a later change is not seen

    def _serve(self, settings: Settings) -> None:
        """Serve with ``settings``: endpoints that named no methods answer its
        ``default_methods``.

        They were registered when their module was imported, before any
        mount read the configuration, so a configured ``DEFAULT_METHODS``
        once reached none of them.  They are built again, all or none: a
        method another endpoint of the route holds is a ``RegistrationError``
        naming both, and the settings stay as they were.
        """
        methods, records = settings.default_methods, self._defaulted
        stale = [at for at, record in enumerate(records) if record.methods != methods]
        if stale:
            with self.registering():
                for at in stale:
                    _unplace(self.router, records[at].endpoint)
                for at in stale:
                    record = records[at]
                    endpoint = build_endpoint(
                        record.route,
                        record.func,
                        default_methods=methods,
                        steps=settings.steps,
                        **record.options,
                    )
                    place(self.router, endpoint)
                    records[at] = record._replace(endpoint=endpoint, methods=methods)
        self.settings = settings

    @overload
    def endpoint(self, route: F, /) -> F: ...

    @overload
    def endpoint(
        self,
        route: str | None = None,
        /,
        *,
        methods: Iterable[str] | None = None,
        login_required: bool = False,
        permission: Permission | None = None,
        csrf_exempt: bool = False,
        **options: Any,
    ) -> Callable[[F], F]: ...

    def endpoint(
        self,
        route: str | Callable[..., Any] | None = None,
        /,
        *,
        methods: Iterable[str] | None = None,
        login_required: bool = False,
        permission: Permission | None = None,
        csrf_exempt: bool = False,
        **options: Any,
    ) -> Any:
        """Register a handler: ``@api.endpoint`` or ``@api.endpoint("a/b", methods=[...])``.

        Args:
            route: the path below the mount; defaults to the function name.
                ``{name}`` segments are captured and bound by name.
            methods: accepted methods (default ``settings.default_methods``).
            login_required: answer anonymous requests with 401.
            permission: ``permission(request) -> bool``; ``False`` means 403.
            csrf_exempt: skip CSRF protection for this endpoint.
            unknown_fields: ``"ignore"`` (default) input names that are no
                parameter, or ``"reject"`` them with a 422 ``unknown_field``
                (what model endpoints do by default).
            options: other :class:`Endpoint` fields (``options={...}`` holds
                settings for later pipeline steps); unknown names raise
                ``TypeError`` so a misspelt option never goes unnoticed.
        """
        if callable(route):
            self.add(default_route(route), route)
            return route

        def register(func: F) -> F:
            self.add(
                route if route is not None else default_route(func),
                func,
                methods=methods,
                login_required=login_required,
                permission=permission,
                csrf_exempt=csrf_exempt,
                **options,
            )
            return func

        return register

    @overload
    def websocket(self, route: F, /) -> F: ...

    @overload
    def websocket(
        self,
        route: str | None = None,
        /,
        *,
        login_required: bool = False,
        permission: Permission | None = None,
        **options: Any,
    ) -> Callable[[F], F]: ...

    def websocket(
        self,
        route: str | Callable[..., Any] | None = None,
        /,
        *,
        login_required: bool = False,
        permission: Permission | None = None,
        **options: Any,
    ) -> Any:
        """Register a WebSocket handler: ``@api.websocket`` or ``@api.websocket("chat/{room}")``.

        The handler is ``async def handler(ws: WebSocket, ...)``: it gets an
        accepted :class:`~ajaxkit.core.websocket.WebSocket` and, bound by name
        from the route and the handshake's query string, its other
        parameters.  The handshake is admitted first (route, then
        ``login_required`` and ``permission`` as for HTTP, then parameter
        binding); a refused one is never accepted.  The same as
        ``api.endpoint(route, methods=["WEBSOCKET"])``; an HTTP endpoint may
        share the route.

        Args:
            route: the path below the mount; defaults to the function name.
            login_required: refuse anonymous clients (401 ``not_authenticated``).
            permission: ``permission(request) -> bool``; ``False`` refuses (403).
            options: other policy steps' options.
        """
        if callable(route):
            self.add(default_route(route), route, methods=[WEBSOCKET])
            return route

        def register(func: F) -> F:
            self.add(
                route if route is not None else default_route(func),
                func,
                methods=[WEBSOCKET],
                login_required=login_required,
                permission=permission,
                **options,
            )
            return func

        return register

    def add(
        self,
        route: str,
        func: Callable[..., Any],
        *,
        methods: Iterable[str] | None = None,
        request_arg: RequestArg = "ajax",
        transactions: Iterable[TransactionSource] | None = None,
        unbatchable: str | None = None,
        **options: Any,
    ) -> Endpoint:
        """Register ``func`` at ``route``; the non-decorator form of :meth:`endpoint`.

        ``transactions`` names the databases ``func`` writes through, so that
        it may be an item of an atomic batch (see
        :mod:`ajaxkit.core.transactions`); without it, it may not.
        ``unbatchable`` says why ``func`` may not be an item of any batch
        (it may wait long before answering, as a long-poll does): a batch
        answers such an item 400 with that reason, without running it.

        Raises:
            RegistrationError: a mistake :mod:`~ajaxkit.core.registration_checks`
                finds (a string for ``methods``, a route segment with no
                parameter, a parameter type that cannot be validated, ...).
        """
        endpoint = build_endpoint(
            route,
            func,
            default_methods=self.settings.default_methods,
            steps=self.settings.steps,
            methods=methods,
            request_arg=request_arg,
            transactions=transactions,
            unbatchable=unbatchable,
            **options,
        )
        check_catch_all(endpoint.route, func)
        check_decorators(endpoint.route, func)
        place(self.router, endpoint)
        if methods is None:
            # The endpoint's transactions: an iterator given is spent by now.
            more: dict[str, Any] = {"request_arg": request_arg}
            more.update(transactions=endpoint.transactions, unbatchable=unbatchable, **options)
            defaults = self.settings.default_methods
            self._defaulted.append(_Defaulted(endpoint, defaults, route, func, more))
        return endpoint

    @contextmanager
    def registering(self) -> Iterator[None]:
        """A block of registrations that takes effect whole or not at all.

        ``api.model(...)``, ``Live(api)`` and other registrations adding
        several routes run in one, so that a clash on their last route does
        not leave the first ones served (a resource answering some methods
        and not others).  If the block raises, every route, endpoint and
        model it added is removed again and the error propagates.  Blocks
        nest; each puts back what it found.
        """
        restore = self.router.snapshot()
        models = dict(self.models)
        defaulted = list(self._defaulted)
        try:
            yield
        except BaseException:
            restore()
            self.models.clear()
            self.models.update(models)
            self._defaulted[:] = defaulted
            raise

    def model(self, model: Any, endpoint_class: Any = None, /, **options: Any) -> Any:
        """Serve CRUD routes for ``model`` (a Django model or SQLAlchemy class).

        ``api.model(Note, NoteEndpoint, session=SessionLocal)``; see
        :func:`ajaxkit.core.models.register_model` for the options and routes.
        Returns the ``ModelResource``.
        """
        # Imported here: the model layer builds on this module, not the reverse.
        from ajaxkit.core.models import ModelEndpoint, register_model

        return register_model(self, model, endpoint_class or ModelEndpoint, **options)

    def batch(self, route: str = "_batch", *, max_items: int = 20, **options: Any) -> None:
        """Serve batches of this registry's endpoints at ``POST <mount>/<route>``.

        Each item runs through admission and answer as if sent alone; see
        :mod:`ajaxkit.core.batch` for the wire format.  ``options`` are the
        batch request's own step options (``login_required=True``, ...).
        """
        from ajaxkit.core.batch import enable_batch

        enable_batch(self, route, max_items, **options)

    def endpoints(self) -> Iterator[Endpoint]:
        """Every registered endpoint, once each."""
        seen: set[int] = set()
        for route in self.router:
            for endpoint in route.endpoints.values():
                if id(endpoint) not in seen:
                    seen.add(id(endpoint))
                    yield endpoint

    def dispatch(
        self,
        request: AjaxRequest,
        platform: Platform = REFERENCE,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` synchronously (WSGI servers).

        Args:
            request: the request, translated by the integration.
            platform: the framework's facts.
            transactions: the sources the whole request runs in, outermost
                first (Django's ``ATOMIC_REQUESTS`` databases): see
                :mod:`ajaxkit.core.request_transactions`.
        """
        return run(flow(self.router, self.settings, request, platform, transactions))

    async def adispatch(
        self,
        request: AjaxRequest,
        platform: Platform = REFERENCE,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` on the running event loop (ASGI servers); the
        arguments are :meth:`dispatch`'s."""
        return await arun(flow(self.router, self.settings, request, platform, transactions))


def build_endpoint(
    route: str,
    func: Callable[..., Any],
    *,
    default_methods: Iterable[str],
    steps: Iterable[PolicyStep[Any]],
    methods: Iterable[str] | None = None,
    **options: Any,
) -> Endpoint:
    """Check ``func``'s registration at ``route`` and build its endpoint (not placed).

    ``default_methods`` and ``steps`` are the settings' (``methods`` beats
    the first); ``options`` are :meth:`Ajax.add`'s.  A view wrapper needs
    this alone: it serves one endpoint and no registry.

    Raises:
        RegistrationError: as for :meth:`Ajax.add`.
    """
    pattern = normalize_route(check_route(route, func))
    names = param_names(pattern)
    wanted = default_methods if methods is None else methods
    # Before the checks: a platform declared while they run was not checked for.
    platforms = {platform.name for platform in declared_platforms()}
    checked = check_registration(pattern, func, wanted, names, options)
    with explained(pattern, func):
        endpoint = make_endpoint(
            pattern, func, methods=checked, path_names=names, steps=steps, **options
        )
    endpoint.checked_for.update(platforms)
    return endpoint


def place(router: Router, endpoint: Endpoint) -> None:
    """Serve ``endpoint`` at its route, refusing a method another endpoint there holds."""
    # Only now: a refused registration leaves no empty route behind.
    target = router.route(endpoint.route)
    check_free(target.pattern, endpoint.func, endpoint.methods, target.endpoints)
    for method in endpoint.methods:
        router.serve(target, method, endpoint)


def _unplace(router: Router, endpoint: Endpoint) -> None:
    """Serve ``endpoint`` no more (its route stays, for the endpoint built in its place)."""
    route = router.route(endpoint.route)
    for method in [m for m, found in route.endpoints.items() if found is endpoint]:
        router.serve(route, method, None)


def require_registry(api: object, call: str) -> Ajax:
    """``api`` itself when it is a registry; integrations check what they mount.

    ``blueprint(app)`` is one letter from ``blueprint(api)``, and ``front``
    takes the registry before the app: without this, such a slip failed
    with an ``AttributeError`` from deep inside, naming neither the call
    nor what it wants.

    Raises:
        ConfigurationError: ``api`` is not an :class:`Ajax`.
    """
    if isinstance(api, Ajax):
        return api
    what = "None" if api is None else f"a {type(api).__name__} object"
    raise ConfigurationError(
        f"{call}() takes the ajaxkit registry your endpoints are registered on "
        f"(api = Ajax(), then @api.endpoint), not {what}."
    )
