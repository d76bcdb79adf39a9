"""The one request pipeline, shared by sync and async servers.

:func:`flow` is a generator holding every decision.  Whenever it needs I/O
(load the user, read the body, run the handler, run a blocking check) it
yields an :class:`Effect` holding both a sync and an async way to do it.
:func:`run` performs effects synchronously (WSGI: Django, Flask),
:func:`arun` asynchronously (ASGI: Starlette, FastAPI, Django async views),
so the flow is written once (the shape of httpx's ``Auth.auth_flow``).
Errors raised while performing an effect are thrown back into the flow,
which turns them into the profile's error response.

Order of steps: route (404) → method (405, OPTIONS) → declared body size
(413) → CSRF (403) → authentication (401) → permission (403) → body (413,
415, 400) →
parameters (422) → handler → result encoding (500 on failure).
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Generator
from typing import Any, NamedTuple

from asgiref.sync import async_to_sync

from ajaxkit.core.body import BODY_METHODS, check_declared_length, parse_body
from ajaxkit.core.encoding import UnencodableValue
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.platform import Platform
from ajaxkit.core.profile import PROBLEM_TYPE, ErrorContext
from ajaxkit.core.routing import Route, Router
from ajaxkit.core.settings import Settings
from ajaxkit.exceptions import (
    AjaxError,
    EncodingError,
    Forbidden,
    MethodNotAllowed,
    ServerError,
    Unauthorized,
)
from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = ["Effect", "Flow", "arun", "flow", "is_authenticated", "run"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Effect(NamedTuple):
    """A piece of I/O the flow needs, with a sync and an async way to do it."""

    sync: Callable[[], Any]
    async_: Callable[[], Awaitable[Any]]


Flow = Generator[Effect, Any, AjaxResponse]


def blocking(platform: Platform, func: Callable[..., Any], *args: Any) -> Effect:
    """An effect for a blocking call: direct when sync, in a thread when async."""
    return Effect(
        functools.partial(func, *args), functools.partial(platform.run_in_thread, func, *args)
    )


def run(steps: Flow) -> AjaxResponse:
    """Drive ``steps`` synchronously."""
    try:
        effect = next(steps)
        while True:
            try:
                value = effect.sync()
            except Exception as exc:
                effect = steps.throw(exc)
            else:
                effect = steps.send(value)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def arun(steps: Flow) -> AjaxResponse:
    """Drive ``steps`` on the running event loop."""
    try:
        effect = next(steps)
        while True:
            try:
                value = await effect.async_()
            except Exception as exc:
                effect = steps.throw(exc)
            else:
                effect = steps.send(value)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def flow(router: Router, settings: Settings, request: AjaxRequest, platform: Platform) -> Flow:
    """Answer ``request``: every decision of the pipeline, I/O yielded as effects."""
    endpoint: Endpoint | None = None
    if settings.user_loader is not None:
        request.use_user_loader(functools.partial(settings.user_loader, request))
    try:
        route, captured = router.match(request.route)
        # Values the integration captured outside the mount (a wrapped
        # view's URL kwargs) stay; the route's own captures win.
        request.path_params = {**request.path_params, **captured}
        endpoint = yield from _select_endpoint(route, settings, request, platform)
        if endpoint is None:
            return AjaxResponse(status=204, headers={"Allow": ", ".join(route.allowed())})
        has_body = request.method in BODY_METHODS
        if has_body:
            # Before CSRF and auth: those may read the body (Django's CSRF
            # check parses forms), and an oversized one must not be read.
            check_declared_length(request, settings.max_body_size)
        yield from _guard(endpoint, settings, request, platform)
        if has_body:
            yield from _read_body(settings, request)
        result = yield _call(endpoint, request, platform)
        return _render_result(result, endpoint, settings, request, platform)
    except Exception as exc:
        return render_exception(exc, settings, request, platform, endpoint)


def _select_endpoint(
    route: Route, settings: Settings, request: AjaxRequest, platform: Platform
) -> Generator[Effect, Any, Endpoint | None]:
    try:
        return route.endpoint_for(request.method)
    except MethodNotAllowed:
        # Profiles that check the user first (django-ajaxutils) answer an
        # anonymous request with 401 even when the method is also wrong.
        if settings.profile.auth_before_method:
            yield from _guard(next(iter(route.endpoints.values())), settings, request, platform)
        raise


def _guard(
    endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> Generator[Effect, Any, None]:
    if platform.check_csrf and not endpoint.csrf_exempt and request.method not in _SAFE_METHODS:
        yield blocking(platform, platform.check_csrf, request)
    if not (endpoint.login_required or endpoint.permission):
        return
    user = yield _load_user(request, platform)
    if endpoint.login_required and not is_authenticated(user):
        raise Unauthorized()
    if endpoint.permission is not None:
        allowed = yield _call_either(endpoint.permission, platform, request)
        if not allowed:
            # Refusing an anonymous user says "log in", not "you may not".
            raise Forbidden() if is_authenticated(user) else Unauthorized()


def _read_body(settings: Settings, request: AjaxRequest) -> Generator[Effect, Any, None]:
    limit = settings.max_body_size
    raw = yield Effect(
        functools.partial(request.read_body, limit), functools.partial(request.aread_body, limit)
    )
    parse_body(request, raw, limit)


def is_authenticated(user: Any) -> bool:
    """Django, Flask-Login and Starlette users all answer ``is_authenticated``."""
    return user is not None and bool(getattr(user, "is_authenticated", True))


def _load_user(request: AjaxRequest, platform: Platform) -> Effect:
    return Effect(
        lambda: request.user, functools.partial(request.aload_user, platform.run_in_thread)
    )


def _call(endpoint: Endpoint, request: AjaxRequest, platform: Platform) -> Effect:
    kwargs = endpoint.shape.binder.bind(request) if endpoint.shape.binder else {}
    if endpoint.request_arg == "native":
        kwargs.update(request.path_params)
    args: tuple[Any, ...] = ()
    if endpoint.shape.takes_request:
        args = (request.native if endpoint.request_arg == "native" else request,)
    if endpoint.is_async:
        return Effect(
            functools.partial(endpoint.sync_func, *args, **kwargs),
            functools.partial(endpoint.func, *args, **kwargs),
        )
    return Effect(
        functools.partial(endpoint.func, *args, **kwargs),
        functools.partial(platform.run_in_thread, endpoint.func, *args, **kwargs),
    )


def _call_either(func: Callable[..., Any], platform: Platform, *args: Any) -> Effect:
    """Call a hook that may be sync (run off the loop) or async."""
    if inspect.iscoroutinefunction(func):
        return Effect(functools.partial(async_to_sync(func), *args), functools.partial(func, *args))
    return blocking(platform, func, *args)


def _render_result(
    result: Any, endpoint: Endpoint, settings: Settings, request: AjaxRequest, platform: Platform
) -> AjaxResponse:
    profile = settings.profile
    if platform.native_response_types and isinstance(result, platform.native_response_types):
        return profile.render_native(result, platform, settings)
    if isinstance(result, AjaxResponse):
        return result
    value, status, headers = split_result(result, profile.tuple_sets_status)
    try:
        response = profile.render_result(value, status, headers, settings)
    except UnencodableValue as exc:
        raise EncodingError(
            f"Endpoint {endpoint.name} returned a value of type "
            f"{exc.value_type.__module__}.{exc.value_type.__qualname__}, which cannot be encoded."
        ) from exc
    if request.method == "HEAD":
        response.body = b""
    return response


def split_result(result: Any, tuple_sets_status: bool) -> tuple[Any, int, dict[str, str]]:
    """``value``, ``(value, status)``, ``(value, status, headers)``, ``(value, headers)``."""
    if result is None:
        return None, 204, {}
    if not (tuple_sets_status and isinstance(result, tuple) and 2 <= len(result) <= 3):
        return result, 200, {}
    value, second, *rest = result
    if isinstance(second, dict):
        return value, 200, dict(second)
    if not isinstance(second, int) or isinstance(second, bool):
        return result, 200, {}
    headers = dict(rest[0]) if rest else {}
    return value, second, headers


def render_exception(
    exc: Exception,
    settings: Settings,
    request: AjaxRequest | None,
    platform: Platform,
    endpoint: Endpoint | None = None,
) -> AjaxResponse:
    """Turn any exception into the profile's error response (logging 5xx)."""
    error = exc if isinstance(exc, AjaxError) else platform.translate_exception(exc)
    cause: BaseException | None = None
    if error is None:
        error, cause = ServerError(), exc
    error_id = None
    if error.status >= 500:
        cause = cause or (exc.__cause__ if isinstance(exc, EncodingError) else exc)
        error_id = str(uuid.uuid4())
        _log_server_error(settings, request, endpoint, exc, error_id)
    context = ErrorContext(error, request, settings, cause, error_id)
    try:
        return settings.profile.render_error(context)
    except Exception:
        logging.getLogger(settings.logger_name).exception("The error response failed to render")
        return AjaxResponse(status=500, body=_LAST_RESORT, headers={"Content-Type": PROBLEM_TYPE})


_LAST_RESORT = (
    b'{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal_error"}'
)


def _log_server_error(
    settings: Settings,
    request: AjaxRequest | None,
    endpoint: Endpoint | None,
    exc: Exception,
    error_id: str,
) -> None:
    where = endpoint.name if endpoint else "(no endpoint)"
    method = request.method if request else "-"
    path = request.path if request else "-"
    logging.getLogger(settings.logger_name).error(
        "%s in endpoint %s for %s %s (error id %s): %s",
        type(exc).__name__,
        where,
        method,
        path,
        error_id,
        exc,
        exc_info=exc,
        extra={"error_id": error_id, "endpoint": where},
    )
