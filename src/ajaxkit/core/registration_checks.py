"""Mistakes in ``@api.endpoint(...)`` caught when it runs, not on the first request.

Each check raises :class:`~ajaxkit.exceptions.RegistrationError` naming the
endpoint and saying what to write instead.  Without them these mistakes
register quietly and surface later as baffling answers: ``methods="POST"``
registers the methods ``P``, ``O``, ``S`` and ``T`` (a POST then gets 405),
a route segment ``{pk}`` with no ``pk`` parameter drops the value, and a
parameter type pydantic cannot build fails with an error naming neither the
endpoint nor the parameter.

:meth:`Ajax.add <ajaxkit.Ajax.add>` calls :func:`check_registration` before
building the endpoint and runs the build inside :func:`explained`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
import sys
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import PydanticSchemaGenerationError, PydanticUserError, TypeAdapter

from ajaxkit.core.binding import handler_signature
from ajaxkit.core.platform import DecoratorCheck, declared_platforms
from ajaxkit.core.routing import CONVERTERS, pattern_problem, unknown_converters
from ajaxkit.exceptions import RegistrationError
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:  # the endpoint module imports this one
    from ajaxkit.core.endpoint import Endpoint

__all__ = [
    "KNOWN_METHODS",
    "check_bound_names",
    "check_catch_all",
    "check_converters",
    "check_decorated_above",
    "check_decorators",
    "check_factory_options",
    "check_for_platform",
    "check_free",
    "check_injected_types",
    "check_methods",
    "check_mount",
    "check_not_a_method",
    "check_parameters",
    "check_path_names",
    "check_registration",
    "check_request_annotation",
    "check_route",
    "check_route_syntax",
    "check_routine",
    "check_unknown_fields",
    "check_upload_types",
    "default_route",
    "explained",
    "wrapped_chain",
]

#: Methods an endpoint may answer; ``WEBSOCKET`` is the pseudo-method of a
#: socket endpoint.  Anything else is a typo (``FETCH``) or not an AJAX call.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "WEBSOCKET"})


def check_registration(
    route: object,
    func: Callable[..., Any],
    methods: object,
    path_names: frozenset[str],
    options: Mapping[str, Any],
) -> frozenset[str]:
    """Run every check for ``func`` registered at ``route``; the upper-case methods."""
    label = _label(route, func)
    checked = check_methods(label, methods)
    check_routine(str(route), func)
    check_not_a_method(label, func)
    check_route_syntax(label, str(route))
    check_route_pattern(label, str(route))
    check_converters(label, str(route))
    check_path_names(label, func, path_names)
    hints = _hints(func)  # read once: the checks below each need them
    if "WEBSOCKET" not in checked:  # a WebSocket handler's first parameter is its socket
        check_request_spelling(label, func, hints)
        check_request_annotation(label, func, hints)
    check_parameters(label, func, hints)
    check_upload_types(label, func, hints)
    check_injected_types(label, func, hints)
    check_response_parameters(label, func, hints)
    check_unknown_fields(label, options.get("unknown_fields", "ignore"))
    check_foreign_options(label, options)
    return checked


#: Route options of other frameworks (FastAPI, Flask, Django REST framework)
#: that their users pass to ``api.endpoint``, and what ajaxkit has instead.
_FOREIGN_OPTIONS = {
    "status_code": "return the status with the body: return body, 201",
    "response_model": (
        "annotate the handler's return type instead (-> UserOut): "
        "the return annotation decides what is sent"
    ),
    "response_class": "return the framework's response object, which is sent as it is",
    "method": "write methods={methods!r} (a list)",
    "csrf": "write csrf_exempt=True to skip the CSRF check",
    "summary": "the first line of the handler's docstring is its summary",
    "description": "the handler's docstring describes it",
    "tags": "the OpenAPI document lists endpoints by route, without tags",
    "permission_classes": "write permission=lambda request: ... (false is a 403)",
    "dependencies": (
        "FastAPI's dependencies do not run for ajaxkit endpoints; call them in "
        "the handler, or write permission=lambda request: ... (false is a 403)"
    ),
}


def check_foreign_options(label: str, options: Mapping[str, Any]) -> None:
    """An option another framework's routes take says what to write in ajaxkit."""
    for name, value in options.items():
        advice = _FOREIGN_OPTIONS.get(name)
        if advice is not None:
            raise RegistrationError(
                f"Endpoint {label}: {name}= is not an ajaxkit option; "
                f"{advice.format(methods=[value] if isinstance(value, str) else value)}."
            )


def check_unknown_fields(label: str, value: object) -> None:
    """``unknown_fields`` is ``"ignore"`` or ``"reject"``."""
    if value not in ("ignore", "reject"):
        raise RegistrationError(
            f"Endpoint {label}: unknown_fields must be 'ignore' or 'reject', not {value!r}."
        )


def default_route(func: Callable[..., Any]) -> str:
    """The route of a handler registered without one: its name.

    A lambda's name is ``<lambda>``, which would have been taken for a
    route segment written in Flask's syntax.
    """
    name = str(getattr(func, "__name__", ""))
    if not name.isidentifier():
        what = "a lambda" if name == "<lambda>" else "it"
        raise RegistrationError(
            f"Endpoint {_name(func)!r}: {what} has no name to route by; give the "
            f"route: api.endpoint('hello')(handler)."
        )
    return name


def check_route(route: object, func: Callable[..., Any]) -> str:
    """``route`` itself, once it is known to be a string."""
    if not isinstance(route, str):
        raise RegistrationError(
            f"Endpoint {_name(func)!r}: the route must be a string such as "
            f"'users/{{pk}}', not {route!r}."
        )
    return route


def check_methods(label: str, methods: object) -> frozenset[str]:
    """The upper-cased ``methods``: a non-empty collection of known method names."""
    if isinstance(methods, (str, bytes)):
        raise RegistrationError(
            f"Endpoint {label}: methods must be a list such as methods=[{methods!r}], "
            f"not the string {methods!r} (a string is a sequence of letters)."
        )
    if not isinstance(methods, Iterable):
        raise RegistrationError(
            f"Endpoint {label}: methods must be a list of method names, not {methods!r}."
        )
    names = list(methods)
    bad = [m for m in names if not isinstance(m, str) or m.upper() not in KNOWN_METHODS]
    if bad or not names:
        known = ", ".join(sorted(KNOWN_METHODS))
        what = f"unknown method(s) {', '.join(map(repr, bad))}" if bad else "no methods"
        raise RegistrationError(f"Endpoint {label}: {what}; use some of {known}.")
    return frozenset(m.upper() for m in names)


def check_converters(label: str, pattern: str) -> None:
    """Every ``{name:converter}`` in the route names a converter that exists."""
    unknown = unknown_converters(pattern)
    if unknown:
        known = ", ".join(sorted(CONVERTERS))
        raise RegistrationError(
            f"Endpoint {label}: unknown converter(s) {', '.join(map(repr, unknown))} "
            f"in the route; use one of {known}, or none for a plain segment."
        )


#: A Django ``re_path()`` group, ``(?P<pk>[0-9]+)``.
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
#: A Flask or Django ``path()`` segment, ``<pk>`` or ``<int:pk>``.
_ANGLE_SEGMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def check_routine(route: str, func: Callable[..., Any]) -> None:
    """A handler is a function or a method, whose parameters and hints are read.

    A class (a class-based view) registered and answered every call with a
    500.  An object of a class with ``__call__``, or a ``functools.partial``,
    failed inside ``typing.get_type_hints``, naming neither the endpoint nor
    the fix.  (A partial a wrapper made with ``functools.wraps``, as Django's
    ``method_decorator`` does, is read through what it wraps.)  Named by its
    route: the object has no name.
    """
    if inspect.isroutine(func):
        return
    if isinstance(func, functools.partial) and not hasattr(func, "__wrapped__"):
        raise RegistrationError(
            f"Endpoint {route or '/'!r}: a handler must be a function or a method "
            f"(def or async def), not a functools.partial: its parameters bind by "
            f"name, so a client could replace the arguments it fixes. Write a def "
            f"that calls {getattr(func.func, '__name__', 'the function')} with them."
        )
    if inspect.isclass(func):
        # A class-based view, as Flask's MethodView or Django's View: it
        # registered, and every call answered 500 with the instance it made.
        raise RegistrationError(
            f"Endpoint {route or '/'!r}: a handler must be a function or a method "
            f"(def or async def), not the class {func.__qualname__}; ajaxkit has no "
            "class-based endpoints: register a function for each method, "
            "api.endpoint(route, methods=['GET']) on one and methods=['POST'] on another."
        )
    if inspect.isfunction(inspect.getattr_static(type(func), "__call__", None)):
        raise RegistrationError(
            f"Endpoint {route or '/'!r}: a handler must be a function or a method "
            f"(def or async def), not an instance of {type(func).__qualname__}; "
            "register its bound method instead: api.endpoint(...)(obj.__call__)."
        )


def check_not_a_method(label: str, func: Callable[..., Any]) -> None:
    """A handler whose first parameter is ``self`` is a method taken from its class.

    Called as a function, it took ``self`` for the request: a class-based
    view's ``get`` decorated with ``@ajax`` failed on every call.
    """
    first = next(iter(_parameters(func)), None)
    if first == "self":
        raise RegistrationError(
            f"Endpoint {label}: its first parameter is 'self', so it is a method, "
            f"which cannot be called without its instance. Register a function or a "
            f"bound method (obj.method); on a Django class-based view, decorate the "
            f"method with Django's method_decorator(ajax(...)); Flask's MethodView "
            f"has no such adapter, so route a function per method there "
            f"(@app.route above @ajax)."
        )


def check_route_syntax(label: str, pattern: str) -> None:
    """No ``<int:pk>`` or ``(?P<pk>...)``: Flask's and Django's way to capture.

    Taken as it is, such a route matched only its literal text, so every
    call was a 404 naming the path the client asked for.
    """
    if not _REGEX_GROUP.search(pattern) and not _ANGLE_SEGMENT.search(pattern):
        return
    instead = _ANGLE_SEGMENT.sub(_braced, _REGEX_GROUP.sub(r"{\1}", pattern))
    raise RegistrationError(
        f"Endpoint {label}: the route {pattern!r} captures with Flask's or Django's "
        f"syntax; ajaxkit routes write {instead!r} (the handler's annotation gives "
        f"the type; converters: {', '.join(sorted(CONVERTERS))})."
    )


def check_route_pattern(label: str, pattern: str) -> None:
    """The route reads as written: no stray brace, no name twice, no query.

    A ``?`` or ``#`` in a route matched only a path holding it escaped
    (``%3F``), never the URL its author had in mind.
    """
    problem = pattern_problem(pattern)
    if problem is None:
        mark = next((c for c in "?#" if c in pattern), None)
        if mark is not None:
            problem = (
                f"it holds {mark!r}, which ends a URL's path, so no request reaches it; "
                f"a route is the path alone, and parameters bind from the query string "
                f"by name"
            )
    if problem is not None:
        raise RegistrationError(
            f"Endpoint {label}: the route {pattern!r} cannot be used: {problem}."
        )


def _braced(segment: re.Match[str]) -> str:
    converter, name = segment.group(1), segment.group(2)
    # Converters ajaxkit lacks (slug, uuid, float) are the annotation's job.
    return f"{{{name}:{converter}}}" if converter in ("int", "path") else f"{{{name}}}"


def check_free(
    route: str, func: Callable[..., Any], methods: frozenset[str], taken: Mapping[str, Any]
) -> None:
    """No other endpoint answers one of ``methods`` at ``route`` yet.

    ``taken`` is the route's endpoints by method.  The message names both
    handlers: the clash is often two modules picking the same route, and
    the one already there is the one the reader has to go and find.
    """
    clash = sorted(methods & taken.keys())
    if clash:
        holders = sorted({_located(route, taken[method].func) for method in clash})
        raise RegistrationError(
            f"Endpoint {_located(route, func)}: {', '.join(clash)} {route or '/'!r} is "
            f"already registered to {' and '.join(holders)}; pick another route or "
            f"method, or remove one of them."
        )


def _located(route: object, func: Callable[..., Any]) -> str:
    """:func:`_label` with the handler's module: two modules' ``def search``
    read alike, and the reader has to find the file of the other one."""
    module = getattr(func, "__module__", None)
    name = _name(func) if module is None else f"{module}.{_name(func)}"
    return repr(f"{name} ({str(route).strip('/') or '/'})")


def check_path_names(label: str, func: Callable[..., Any], path_names: frozenset[str]) -> None:
    """Every ``{name}`` the route captures must be a parameter of ``func``.

    Except for a handler taking nothing but the request: it reads
    ``request.path_params`` itself.  (``**kwargs`` does not count: binding
    fills named parameters only.)
    """
    params = _parameters(func)
    if len(params) <= 1:
        return
    missing = sorted(path_names - params.keys())
    if missing:
        wanted = ", ".join(f"{name}: str" for name in missing)
        raise RegistrationError(
            f"Endpoint {label}: the route captures {', '.join(missing)} but the "
            f"handler has no parameter of that name; add it ({wanted}, or another "
            f"type) or rename the route segment."
        )


#: First parameter names that stand for the request in other code (Django's
#: ``def view(req)``) but are bound from the query string or body here.
_REQUEST_SPELLINGS = frozenset({"req", "rq", "http_request"})


def check_request_spelling(label: str, func: Callable[..., Any], hints: Mapping[str, Any]) -> None:
    """A handler's first parameter spelt like the request is the request or a typed parameter.

    ``def hello(req)`` is given the request only when named ``request`` or
    annotated with a request class; unannotated and without a default,
    ``req`` was bound from the query string by name, and every call
    answered 422 "req: Field required".  Annotated (``req: str``) or with a
    default, it reads as the parameter it then is.
    """
    params = list(_parameters(func).values())
    if not params:
        return
    first = params[0]
    spelt_so = first.name in _REQUEST_SPELLINGS
    if spelt_so and first.name not in hints and first.default is first.empty:
        raise RegistrationError(
            f"Endpoint {label}: its first parameter {first.name!r} has no annotation, so it "
            f"would be bound from the query string or body, not given the request; name it "
            f"'request' or annotate it (AjaxRequest, or your framework's request class) to "
            f"receive the request, or give it a type ({first.name}: str) if it is a parameter."
        )


def check_request_annotation(
    label: str, func: Callable[..., Any], hints: Mapping[str, Any]
) -> None:
    """A first parameter named ``request`` gets what its annotation names.

    Annotated with a framework's request class whose integration was not
    imported yet (a module of endpoints registered before the one mounting
    them imports ``ajaxkit.fastapi``), it was given ajaxkit's
    ``AjaxRequest`` instead, and ``await request.json()`` was a 500 on
    every call; spelt ``req``, the same handler is refused.
    """
    params = list(_parameters(func).values())
    annotation = hints.get("request")
    if not params or params[0].name != "request" or not isinstance(annotation, type):
        return
    if annotation is Any:  # a class since Python 3.11
        return
    native = tuple(t for p in declared_platforms() for t in p.request_types)
    try:
        if issubclass(AjaxRequest, annotation) or issubclass(annotation, native):
            return
    except TypeError:  # a Protocol that cannot be checked: the reader's own promise
        return
    raise RegistrationError(
        f"Endpoint {label}: 'request' is annotated {annotation.__module__}."
        f"{annotation.__qualname__}, which no imported ajaxkit integration knows, so it "
        f"would be given ajaxkit's AjaxRequest instead. If it is your framework's request "
        f"class, import the integration (ajaxkit.django, ajaxkit.flask, ajaxkit.starlette "
        f"or ajaxkit.fastapi) before registering; otherwise annotate it AjaxRequest."
    )


def check_parameters(
    label: str, func: Callable[..., Any], hints: Mapping[str, Any] | None = None
) -> None:
    """Run each declared integration's parameter check (FastAPI refuses ``Depends``).

    A check sees each parameter's default and each extra of its
    ``Annotated[...]`` hint: FastAPI documents ``Annotated[T, Depends(f)]``
    as the form to use, and a marker there must not pass unnoticed either.
    """
    checks = [p.check_parameter for p in declared_platforms() if p.check_parameter is not None]
    if not checks:
        return
    extras = _annotated_extras(_hints(func) if hints is None else hints)
    for param in _parameters(func).values():
        default = None if param.default is param.empty else param.default
        for check, marker in itertools.product(checks, (default, *extras.get(param.name, ()))):
            problem = check(param.name, marker)
            if problem is not None:
                raise RegistrationError(f"Endpoint {label}: parameter {param.name!r}: {problem}")


def check_upload_types(
    label: str, func: Callable[..., Any], hints: Mapping[str, Any] | None = None
) -> None:
    """No parameter is annotated with a framework's upload class (``UploadFile``).

    FastAPI's validates as a type of its own, so it registered and every
    upload was a 422 "Field required": binding fills only
    :class:`~ajaxkit.UploadedFile` parameters from the files.
    """
    uploads = tuple(t for p in declared_platforms() for t in p.upload_types)
    if not uploads:
        return
    for name, hint in (_hints(func) if hints is None else hints).items():
        found = next((t for t in _mentioned_types(hint) if issubclass(t, uploads)), None)
        if found is not None:
            raise RegistrationError(
                f"Endpoint {label}: parameter {name!r} is annotated with "
                f"{found.__module__}.{found.__qualname__}, the framework's upload; "
                f"ajaxkit binds uploaded files to ajaxkit.UploadedFile (.filename, "
                f".content_type, .size, .data), so annotate that."
            )


def check_injected_types(
    label: str, func: Callable[..., Any], hints: Mapping[str, Any] | None = None
) -> None:
    """No parameter is annotated with a class the framework fills for its own views.

    FastAPI hands ``background_tasks: BackgroundTasks`` to a route; ajaxkit
    binds from the query string or body, and pydantic's error for the type
    said to use a type it can validate, not what to write instead.
    """
    injected = [pair for p in declared_platforms() for pair in p.injected_types]
    if not injected:
        return
    for name, hint in (_hints(func) if hints is None else hints).items():
        for found in _mentioned_types(hint):
            advice = next((a for t, a in injected if issubclass(found, t)), None)
            if name != "return" and advice is not None:
                raise RegistrationError(
                    f"Endpoint {label}: parameter {name!r} is annotated with "
                    f"{found.__module__}.{found.__qualname__}, which the framework fills "
                    f"for its own routes only; ajaxkit binds parameters from the query "
                    f"string or body. {advice}"
                )


def check_response_parameters(
    label: str, func: Callable[..., Any], hints: Mapping[str, Any] | None = None
) -> None:
    """No parameter is annotated with a framework's response class.

    FastAPI hands ``response: Response`` to a route for its headers and
    cookies; ajaxkit has no response before the handler returns, and the
    error pydantic gives for the type said nothing of what to do instead.
    """
    responses = tuple(t for p in declared_platforms() for t in p.native_response_types)
    if not responses:
        return
    for name, hint in (_hints(func) if hints is None else hints).items():
        found = next((t for t in _mentioned_types(hint) if issubclass(t, responses)), None)
        if name != "return" and found is not None:
            raise RegistrationError(
                f"Endpoint {label}: parameter {name!r} is annotated with "
                f"{found.__module__}.{found.__qualname__}, the framework's response, "
                "which no handler is given: set headers by returning (body, status, "
                "headers), or build the response (cookies and all) and return it."
            )


def check_for_platform(endpoints: Iterable[Endpoint], platform: str) -> None:
    """Run the declared platforms' parameter, upload and decorator checks on
    ``endpoints`` registered before ``platform`` was declared (they escaped
    its checks).

    An endpoint that passed them for ``platform`` (at registration or an
    earlier mount) is not read again: mounting a registry twice reads each
    handler's type hints at most once.
    """
    for endpoint in endpoints:
        if platform in endpoint.checked_for:
            continue
        # Before the checks, as at registration.
        platforms = {declared.name for declared in declared_platforms()}
        label = repr(f"{endpoint.name} ({endpoint.route or '/'})")
        hints = _hints(endpoint.func)
        check_parameters(label, endpoint.func, hints)
        check_upload_types(label, endpoint.func, hints)
        check_injected_types(label, endpoint.func, hints)
        check_decorators(endpoint.route, endpoint.func)
        endpoint.checked_for.update(platforms)


def _mentioned_types(hint: Any) -> Iterator[type]:
    """``hint`` and the classes inside it (``list[X]``, ``X | None``, ``Annotated``)."""
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        yield hint
    for arg in typing.get_args(hint):
        yield from _mentioned_types(arg)


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:
        # An unresolvable hint: explained() reports it, naming the endpoint.
        return {}


def _annotated_extras(hints: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The ``Annotated[T, *extras]`` extras of each parameter's type hint."""
    return {
        name: typing.get_args(hint)[1:]
        for name, hint in hints.items()
        if typing.get_origin(hint) is typing.Annotated
    }


def check_bound_names(label: str, func: Callable[..., Any], takes_request: bool) -> None:
    """The parameters binding fills by name can be passed by name, and none is the request.

    A positional-only one made every call a ``TypeError`` (500); a
    parameter named ``request`` after the first was bound as an input
    called "request", so every call was a 422 asking for it.
    """
    bound = list(_parameters(func).values())[1 if takes_request else 0 :]
    for param in bound:
        if param.kind is param.POSITIONAL_ONLY:
            raise RegistrationError(
                f"Endpoint {label}: parameter {param.name!r} is positional-only, but "
                f"parameters are bound by name; remove the '/' from the signature."
            )
        if param.name == "request" and param.kind is not param.VAR_KEYWORD:
            raise RegistrationError(
                f"Endpoint {label}: 'request' must be the first parameter to receive "
                f"the request; otherwise it is read from the query string or body."
            )


def check_catch_all(route: str, func: Callable[..., Any]) -> None:
    """A registry handler has no ``*args`` or ``**kwargs``: nothing would fill them.

    Binding fills named parameters only, so ``def search(request, **filters)``
    registered and ``filters`` was always empty, whatever the query held.
    A view wrapped with ``@ajax`` is not checked: ``*args, **kwargs`` is the
    signature Django gives class-based view methods.
    """
    params = _parameters(func).values()
    wrapper = {p.kind for p in params} == _CATCH_ALL
    for param in params:
        if param.kind in _CATCH_ALL:
            stars = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise RegistrationError(
                f"Endpoint {_label(route, func)}: {stars}{param.name} would never receive "
                f"anything, since parameters are bound by name; name each input as a "
                f"parameter, or read them all from request.query or request.data."
                + (_WRAPPER_HINT if wrapper else "")
            )


_CATCH_ALL = frozenset({inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD})

#: ``def wrapper(*args, **kwargs)`` is a decorator's, which hid the
#: handler's own parameters by leaving out ``functools.wraps``.
_WRAPPER_HINT = (
    " If this is a decorator's wrapper, decorate it with @functools.wraps(handler): "
    "the handler's own parameters are then the ones read."
)


def check_decorators(route: str, func: Callable[..., Any]) -> None:
    """A registry handler is not wrapped in a framework's own view decorator.

    Such a decorator expects the framework's request and answers in the
    framework's words: Django's ``login_required`` under ``@api.endpoint``
    redirected an anonymous ``fetch()`` to the login page (or failed with a
    500 on ajaxkit's request), ``require_POST`` answered Django's HTML 405,
    and ``csrf_exempt`` exempted nothing.  Each declared platform names its
    own; a decorator of the project's own is left alone.  A view wrapped
    with ``@ajax`` is not checked: it is the framework's view, and Django's
    ``csrf_exempt`` under ``@ajax`` is honoured.
    """
    checks = _decorator_checks()
    for layer, check in itertools.product(wrapped_chain(func)[:-1], checks):
        problem = check(layer)
        if problem is not None:
            raise RegistrationError(f"Endpoint {_label(route, func)}: {problem}")


def check_decorated_above(endpoints: Iterable[Endpoint]) -> None:
    """No framework view decorator sits above ``@api.endpoint`` on a handler.

    There it wraps the function after the endpoint took it, so the endpoint
    serves the function beneath and the decorator never runs: Django's
    ``login_required`` written above guarded nothing, and every anonymous
    call got the data.  Only the mount can see it, once the module that
    defines the handler has run, by the name the module binds it to (so a
    handler defined inside a function is not seen).
    """
    checks = _decorator_checks()
    for endpoint, check in itertools.product(endpoints, checks):
        func = endpoint.func
        module = sys.modules.get(getattr(func, "__module__", None) or "")
        named = getattr(module, getattr(func, "__name__", ""), None)
        chain = wrapped_chain(named) if named is not func else []
        above = next((i for i, layer in enumerate(chain) if layer is func), 0)
        problem = next(filter(None, map(check, chain[:above])), None)
        if problem is not None:
            raise RegistrationError(
                f"Endpoint {_label(endpoint.route, func)}: a view decorator above "
                f"@api.endpoint never runs, since the endpoint serves the function "
                f"beneath it. {problem}"
            )


def _decorator_checks() -> list[DecoratorCheck]:
    """Each declared platform's check of its own view decorators."""
    return [p.check_decorator for p in declared_platforms() if p.check_decorator is not None]


def check_mount(endpoints: Iterable[Endpoint], platform: str) -> None:
    """What an integration checks when it mounts a registry: the registration
    checks ``platform`` missed, and view decorators above ``@api.endpoint``."""
    endpoints = list(endpoints)
    check_for_platform(endpoints, platform)
    check_decorated_above(endpoints)


def wrapped_chain(view: Any) -> list[Any]:
    """``view``, what it wraps, what that wraps, ... (as ``inspect.unwrap`` walks;
    a cycle ends it)."""
    chain: list[Any] = []
    while view is not None and all(view is not seen for seen in chain):  # cycles end it
        chain.append(view)
        view = getattr(view, "__wrapped__", None)
    return chain


def check_factory_options(model: Any, factory: Callable[..., Any], options: Any) -> None:
    """``api.model(...)``'s keywords must be ones its repository factory takes.

    A factory taking ``**kwargs`` accepts anything; the built-in ones do not,
    so a misspelt ``sesion=`` is an error instead of being ignored.
    """
    params = inspect.signature(factory).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    takes = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    takes.discard(next(iter(inspect.signature(factory).parameters), ""))  # the model
    unknown = sorted(set(options) - takes)
    if unknown:
        name = getattr(model, "__name__", repr(model))
        known = ", ".join(f"{n}=" for n in sorted({*takes, "resource", "repository"}))
        raise RegistrationError(
            f"api.model({name}): unknown option(s) {', '.join(map(repr, unknown))}; "
            f"this model's repository takes {known}."
        )


@contextmanager
def explained(route: str, func: Callable[..., Any]) -> Iterator[None]:
    """Turn a failure to read the handler's parameter types into a RegistrationError."""
    try:
        yield
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        raise RegistrationError(_unsupported(_label(route, func), func, exc)) from exc
    except NameError as exc:
        # typing.get_type_hints on a string annotation whose name is only
        # imported under TYPE_CHECKING (or not at all).
        raise RegistrationError(
            f"Endpoint {_label(route, func)}: an annotation cannot be resolved ({exc}); "
            "binding needs the real types, so import them at module level."
        ) from exc


def _unsupported(label: str, func: Callable[..., Any], exc: Exception) -> str:
    name, hint = _culprit(func)
    reason = str(exc).splitlines()[0]
    if name is None:
        return f"Endpoint {label}: its parameters cannot be validated: {reason}"
    return (
        f"Endpoint {label}: parameter {name!r} has type {hint!r}, which cannot be read "
        f"from a request ({reason}). Use a type pydantic can validate. If {name!r} is "
        f"the request, make it the first parameter and name it `request` or annotate "
        f"it with AjaxRequest or the framework's request class (import the ajaxkit "
        f"integration, e.g. ajaxkit.flask, before registering)."
    )


def _culprit(func: Callable[..., Any]) -> tuple[str | None, Any]:
    """The first parameter whose annotation pydantic cannot build a schema for."""
    hints = typing.get_type_hints(func, include_extras=True)
    for index, name in enumerate(_parameters(func)):
        if name not in hints or (index == 0 and name == "request"):
            continue
        try:
            TypeAdapter(hints[name])
        except (PydanticSchemaGenerationError, PydanticUserError):
            return name, hints[name]
    return None, None


def _parameters(func: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    return dict(handler_signature(func).parameters)


def _name(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__qualname__", repr(func)))


def _label(route: object, func: Callable[..., Any]) -> str:
    # The form the policy steps use, so every registration error reads alike.
    return repr(f"{_name(func)} ({str(route).strip('/') or '/'})")
