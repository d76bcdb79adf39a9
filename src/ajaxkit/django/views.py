"""Mounting in Django's own words: ``urls(api)`` for a registry, ``@ajax`` for a view."""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable, Iterable
from types import CodeType
from typing import Any, ClassVar, TypeVar, overload

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt as django_csrf_exempt

from ajaxkit.core.config import settings_from_config
from ajaxkit.core.endpoint import Permission
from ajaxkit.core.registration_checks import check_mount, wrapped_chain
from ajaxkit.core.registry import Ajax, require_registry
from ajaxkit.core.settings import Settings
from ajaxkit.core.wrapper import (
    CSRF_CHECKED_HERE,
    ExemptableView,
    ViewDecorator,
    WrappedView,
)
from ajaxkit.django.adapter import to_ajax_request, to_django_response
from ajaxkit.django.platform import DJANGO_PLATFORM
from ajaxkit.django.transactions import RequestAtomicity

__all__ = ["ajax", "apply_django_settings", "django_config", "urls"]

V = TypeVar("V", bound=Callable[..., Any])
View = Callable[..., Any]


#: Django's own settings that are ajaxkit's defaults (see :mod:`ajaxkit.core.config`).
_FRAMEWORK_NAMES = ("DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS")


def django_config() -> dict[str, Any]:
    """Django's settings as the mapping :mod:`ajaxkit.core.config` reads.

    Only ``DEBUG``, ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and the ``AJAXKIT``
    names are taken: reading every setting would evaluate lazy ones the
    project never meant ajaxkit to touch.
    """
    names = [n for n in dir(django_settings) if n in _FRAMEWORK_NAMES or n.startswith("AJAXKIT")]
    return {name: getattr(django_settings, name) for name in names}


class _Project:
    """Stands for the one Django configuration a process has (a registry key):
    replaced when a setting ajaxkit reads changes, so ``@ajax`` views resolve
    their settings again."""

    #: The configuration as it is now.
    current: ClassVar[_Project]


_Project.current = _Project()

#: The registries ``urls()`` mounted, resolved again when a setting changes.
_MOUNTED: weakref.WeakSet[Ajax] = weakref.WeakSet()


def _read_again(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` (``override_settings``, pytest-django's ``settings``):
    what was read at mount time, or on a view's first request, is read again
    when it changed, as Django rebuilds its own caches."""
    if setting in (*_FRAMEWORK_NAMES, "LOGIN_URL") or setting.startswith("AJAXKIT"):
        _Project.current = _Project()
        for api in list(_MOUNTED):
            apply_django_settings(api)


setting_changed.connect(_read_again, dispatch_uid="ajaxkit.django.views._read_again")


def apply_django_settings(api: Ajax) -> None:
    """Resolve ``api``'s settings from Django's (called at mount time).

    ``AJAXKIT = {...}`` (or ``AJAXKIT_<NAME>`` settings) beat the registry's
    own settings, which beat ``DEBUG``: see ``docs/settings.md``.  A
    ``LOGIN_URL`` that is a path or URL fills ``login_url`` when the
    registry has none; CSRF reads ``CSRF_TRUSTED_ORIGINS`` and Django's
    token settings per request.
    """
    api.apply_config(django_config())
    _LOGIN_NAMES.pop(api, None)
    if api.settings.login_url is not None:
        return
    login_url = django_settings.LOGIN_URL
    if isinstance(login_url, str) and "/" in login_url:
        # Not configure(): the code's own choice stays None, so that a
        # changed LOGIN_URL is read again.
        api.settings = api.settings.replace(login_url=login_url)
    else:
        # A URL name, or a reverse_lazy() not to be turned into text yet:
        # reversed on the mount's first request, since the urlconf that
        # mounts us may still be importing now (reversing then found it
        # without patterns, and every request failed).
        _LOGIN_NAMES[api] = login_url


#: Mounted registries whose ``LOGIN_URL`` (a URL name, a lazy reverse) is not reversed yet.
_LOGIN_NAMES: dict[Ajax, object] = {}


def _reverse_login_name(api: Ajax) -> None:
    """Fill ``api``'s ``login_url`` from the URL name ``LOGIN_URL`` gave, once."""
    name = _LOGIN_NAMES.pop(api, None)
    login_url = None if name is None else _login_path(str(name))
    if login_url is not None and api.settings.login_url is None:
        api.settings = api.settings.replace(login_url=login_url)


def _view_settings(declared: Settings) -> Settings:
    """``declared`` resolved from Django's settings as :func:`apply_django_settings`
    resolves a registry's: what an ``@ajax`` view is served with."""
    settings = settings_from_config(declared, django_config())
    login_url = _login_path(str(django_settings.LOGIN_URL))
    if settings.login_url is None and login_url is not None:
        settings = settings.replace(login_url=login_url)
    return settings


def _login_path(login_url: str) -> str | None:
    """``LOGIN_URL`` as a path or URL: as given, or a URL name (``"signin"``,
    allauth's ``"account_login"``) reversed as Django's login redirect
    reverses it (the urlconf must be loaded: call it serving a request).
    ``None``, logged, for a name that reverses to nothing."""
    if "/" in login_url:
        return login_url
    try:
        found = resolve_url(login_url)
    except NoReverseMatch:
        found = login_url
    if "/" in found:
        return found
    logging.getLogger("ajaxkit").warning(
        "LOGIN_URL %r names no URL: 401 problems carry no login_url.", login_url
    )
    return None


def _sync_view(api: Ajax) -> View:
    def view(request: HttpRequest, route: str = "", **outer: Any) -> HttpResponseBase:
        # ``outer`` holds values captured by an enclosing include(); ours is ``route``.
        if _LOGIN_NAMES:
            _reverse_login_name(api)
        ajax_request = to_ajax_request(request, route)
        sources = atomicity.sources()
        response = api.dispatch(ajax_request, DJANGO_PLATFORM, transactions=sources)
        return to_django_response(response, request)

    atomicity = RequestAtomicity.install(view)
    return view


def _async_view(api: Ajax) -> View:
    async def view(request: HttpRequest, route: str = "", **outer: Any) -> HttpResponseBase:
        if _LOGIN_NAMES:
            _reverse_login_name(api)
        ajax_request = to_ajax_request(request, route)
        sources = atomicity.sources()
        response = await api.adispatch(ajax_request, DJANGO_PLATFORM, transactions=sources)
        return to_django_response(response, request)

    atomicity = RequestAtomicity.install(view)
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
    require_registry(api, "ajaxkit.django.urls")
    check_mount(api.endpoints(), DJANGO_PLATFORM.name)
    apply_django_settings(api)
    _MOUNTED.add(api)
    view = django_csrf_exempt((_async_view if asynchronous else _sync_view)(api))
    # CSRF is checked by the pipeline (DJANGO_PLATFORM.check_csrf) so that a
    # failure is a problem document, not Django's HTML page.  The route
    # pattern matches newlines too (Django's <path:> does not): every path
    # below the mount, %0d%0a included, gets ajaxkit's answer, a problem 404.
    # It comes first: nearly every request takes it, so Django tries one
    # pattern, not two.
    return [re_path(r"^(?P<route>[\s\S]+)\Z", view, name="ajaxkit"), path("", view, name="ajaxkit")]


def _wrap(decorate: ViewDecorator, view: View) -> View:
    if _exempted_by_django(view):  # @csrf_exempt below @ajax
        decorate = decorate.with_options(csrf_exempt=True)
    views = ExemptableView(decorate, view)
    wrapped = views.wrapped

    def serving(request: HttpRequest) -> WrappedView:
        match = request.resolver_match
        if match is None or match.func is wrapper or not _exempted_by_django(match.func):
            return wrapped
        # Routed through an exemption @ajax could not see when it was
        # applied (@csrf_exempt above it).
        return views.exempt()

    def dispatch_sync(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        ajax_request = to_ajax_request(request, "", kwargs)
        answer = serving(request).dispatch(
            _Project.current, _view_settings, ajax_request, DJANGO_PLATFORM, transactions=sources()
        )
        return to_django_response(answer, request)

    async def dispatch_async(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        ajax_request = to_ajax_request(request, "", kwargs)
        answer = await serving(request).adispatch(
            _Project.current, _view_settings, ajax_request, DJANGO_PLATFORM, transactions=sources()
        )
        return to_django_response(answer, request)

    wrapper = dispatch_async if wrapped.endpoint.is_async else dispatch_sync
    functools.update_wrapper(wrapper, wrapped.view)
    # After update_wrapper: a non_atomic_requests mark on the view is kept.
    sources = RequestAtomicity.install(wrapper).sources
    # Django's middleware skips a view marked csrf_exempt and leaves the
    # check to ajaxkit, which runs Django's own and answers a failure with
    # a problem.  Set here, not by wrapping in csrf_exempt(): method_decorator
    # wraps a class-based view's method on every request.  Not True, which
    # is the user's exemption (see _exempted_by_django).
    wrapper.csrf_exempt = CSRF_CHECKED_HERE  # type: ignore[union-attr]
    return wrapper


#: The code of the functions Django's ``csrf_exempt()`` wraps a view in
#: (sync and async): what marks a view exempt, as copying the mark does not.
_CSRF_EXEMPT_CODE = frozenset(
    const for const in django_csrf_exempt.__code__.co_consts if isinstance(const, CodeType)
)


def _exempted_by_django(view: View) -> bool:
    """Whether Django's middleware would take ``view`` as exempt from CSRF,
    ajaxkit's own mark set aside.

    Exempt: a view marked ``csrf_exempt = True`` (a class-based view whose
    ``dispatch`` was exempted), or one ``csrf_exempt()`` wrapped, above or
    below ``@ajax`` (``__wrapped__``): wrapping an ``@ajax`` view, Django's
    wrapper takes its mark (:data:`CSRF_CHECKED_HERE`), which another
    decorator copies too, so only the wrapper's own code tells it apart.
    """
    if getattr(view, "csrf_exempt", False) is True:
        return True
    return any(getattr(step, "__code__", None) in _CSRF_EXEMPT_CODE for step in wrapped_chain(view))


#: Bare ``@ajax`` (``method_decorator(ajax)`` applies it per call, so it keeps
#: what it learned about each method, as ``ajax(...)``'s decorators do).
_BARE = ViewDecorator()


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


def ajax(view: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Give an existing Django view ajaxkit's wire behaviour: ``@ajax`` or ``@ajax(...)``.

    The mechanism is the core's :class:`~ajaxkit.core.wrapper.WrappedView`,
    shared with Flask's ``@ajax``.  The view still receives Django's
    ``HttpRequest`` as its first parameter (named ``request``) and its URL
    kwargs; other parameters bind from the query or body by type hint.  It
    may return what endpoints return (dict, list, tuples, ``None``) or a
    Django response.  Sync and async views both work.  Options are
    ``settings`` (the view's own, e.g. a compat profile; Django's settings
    are resolved over them on the first request) and those of
    :meth:`ajaxkit.Ajax.endpoint`; ``permission(request)`` receives the
    :class:`~ajaxkit.AjaxRequest` (Django's request is its ``native``).
    """
    decorate = ViewDecorator(**options) if options else _BARE
    if view is not None:
        return _wrap(decorate, view)
    return lambda func: _wrap(decorate, func)
