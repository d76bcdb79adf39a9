"""Mounting in Django's own words: ``urls(api)`` for a registry, ``@ajax`` for a view."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt as django_csrf_exempt

from ajaxkit.core.endpoint import Permission
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings
from ajaxkit.django.adapter import to_ajax_request, to_django_response
from ajaxkit.django.platform import DJANGO_PLATFORM

__all__ = ["ajax", "apply_django_settings", "urls"]

V = TypeVar("V", bound=Callable[..., Any])
View = Callable[..., Any]


def apply_django_settings(api: Ajax) -> None:
    """Fill ``api``'s settings from Django's (called at mount time).

    Reads:
        ``AJAXKIT_DEBUG`` (default ``DEBUG``): show exceptions in 500
            problems.  It can turn debug on, never off: ``Ajax(debug=True)``
            stays on.
        ``AJAXKIT_MAX_BODY_SIZE`` (optional): the largest request body in
            bytes.  Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB by
            default) also bounds bodies; raise it for larger limits.
        ``LOGIN_URL`` (when a path or URL): the ``login_url`` of 401 problems.
    CSRF reads ``CSRF_TRUSTED_ORIGINS`` and Django's token settings per request.
    """
    debug = bool(getattr(django_settings, "AJAXKIT_DEBUG", django_settings.DEBUG))
    changes: dict[str, Any] = {"debug": api.settings.debug or debug}
    max_body_size = getattr(django_settings, "AJAXKIT_MAX_BODY_SIZE", None)
    if max_body_size is not None:
        changes["max_body_size"] = int(max_body_size)
    login_url = str(django_settings.LOGIN_URL)
    if api.settings.login_url is None and "/" in login_url:
        # A URL name would need reverse(), which cannot run while the
        # urlconf that mounts us is still being imported.
        changes["login_url"] = login_url
    api.configure(**changes)


def _sync_view(api: Ajax) -> View:
    def view(request: HttpRequest, route: str = "", **outer: Any) -> HttpResponseBase:
        # ``outer`` holds values captured by an enclosing include(); ours is ``route``.
        response = api.dispatch(to_ajax_request(request, route), DJANGO_PLATFORM)
        return to_django_response(response, request)

    return view


def _async_view(api: Ajax) -> View:
    async def view(request: HttpRequest, route: str = "", **outer: Any) -> HttpResponseBase:
        response = await api.adispatch(to_ajax_request(request, route), DJANGO_PLATFORM)
        return to_django_response(response, request)

    return view


def urls(api: Ajax, *, asynchronous: bool = False) -> list[URLPattern]:
    """URL patterns serving every endpoint of ``api``.

    Use as ``path("ajax/", include(ajaxkit.django.urls(api)))``.  Django
    settings are read now (see :func:`apply_django_settings`).  Both patterns
    are named ``"ajaxkit"``: ``reverse("ajaxkit", kwargs={"route": "hello"})``.

    Args:
        api: the registry to serve.
        asynchronous: serve with an ``async def`` view (ASGI deployments);
            sync handlers then run in Django's thread-sensitive executor.
    """
    apply_django_settings(api)
    view = django_csrf_exempt((_async_view if asynchronous else _sync_view)(api))
    # CSRF is checked by the pipeline (DJANGO_PLATFORM.check_csrf) so that a
    # failure is a problem document, not Django's HTML page.
    return [path("", view, name="ajaxkit"), path("<path:route>", view, name="ajaxkit")]


def _wrap(view: V, api: Ajax) -> V:
    configure = functools.cache(lambda: apply_django_settings(api))

    def dispatch_sync(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        configure()
        ajax_request = to_ajax_request(request, "", kwargs)
        return to_django_response(api.dispatch(ajax_request, DJANGO_PLATFORM), request)

    async def dispatch_async(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        configure()
        ajax_request = to_ajax_request(request, "", kwargs)
        return to_django_response(await api.adispatch(ajax_request, DJANGO_PLATFORM), request)

    wrapper = dispatch_async if inspect.iscoroutinefunction(view) else dispatch_sync
    functools.update_wrapper(wrapper, view)
    return django_csrf_exempt(wrapper)  # type: ignore[return-value]


@overload
def ajax(view: V, /) -> V: ...


@overload
def ajax(
    *,
    methods: Iterable[str] | None = None,
    login_required: bool = False,
    permission: Permission | None = None,
    csrf_exempt: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> Callable[[V], V]: ...


def ajax(
    view: Callable[..., Any] | None = None,
    /,
    *,
    methods: Iterable[str] | None = None,
    login_required: bool = False,
    permission: Permission | None = None,
    csrf_exempt: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> Any:
    """Give an existing Django view ajaxkit's wire behaviour: ``@ajax`` or ``@ajax(...)``.

    The view still receives Django's ``HttpRequest`` (its first parameter
    must be named ``request``) and its URL kwargs; other parameters bind from
    the query or body by type hint.  It may return what endpoints return
    (dict, list, tuples, ``None``) or a Django response.  Sync and async
    views both work.  Options are those of :meth:`ajaxkit.Ajax.endpoint`;
    ``permission(request)`` receives the :class:`~ajaxkit.AjaxRequest`
    (Django's request is its ``native``).  Django settings are read on the
    first request, not at import.  ``settings`` are the view's own (a compat
    profile, say); Django's settings are applied over them.
    """

    def decorate(func: V) -> V:
        # A private one-endpoint registry: the view is the whole "mount".
        api = Ajax(settings)
        api.add(
            "",
            func,
            methods=methods,
            request_arg="native",
            login_required=login_required,
            permission=permission,
            csrf_exempt=csrf_exempt,
            **options,
        )
        return _wrap(func, api)

    return decorate(view) if view is not None else decorate
