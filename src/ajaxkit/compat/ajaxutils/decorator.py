"""django-ajaxutils' ``@ajax``, for Django views and Flask views alike.

::

    from ajaxkit.compat.ajaxutils import ajax

    @ajax(login_required=True, require_POST=True)
    def submit_my_data(request):
        return {"saved": True}

The view is served by ajaxkit's own view wrapper for its framework
(:func:`ajaxkit.django.ajax` or :func:`ajaxkit.flask.ajax`) with the
:class:`~ajaxkit.compat.ajaxutils.AjaxUtilsProfile` wire format.  Which
framework is decided on the first call: a Django view's first argument is an
``HttpRequest``; a Flask view is called with its URL arguments only.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from ajaxkit.compat.ajaxutils.profile import AjaxUtilsProfile
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.core.settings import Settings
from ajaxkit.core.wrapper import CSRF_CHECKED_HERE

__all__ = ["ajax", "iso_values", "model_values"]

V = TypeVar("V", bound=Callable[..., Any])

#: What a view without ``require_*`` accepts: the original checked nothing.
ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")


@overload
def ajax(view: V, /) -> V: ...


@overload
def ajax(
    *,
    login_required: bool = False,
    require_GET: bool = False,  # noqa: N803 - the original's argument names
    require_POST: bool = False,  # noqa: N803
    require: str | None = None,
) -> Callable[[V], V]: ...


def ajax(
    view: Callable[..., Any] | None = None,
    /,
    *,
    login_required: bool = False,
    require_GET: bool = False,  # noqa: N803 - the original's argument names
    require_POST: bool = False,  # noqa: N803
    require: str | None = None,
) -> Any:
    """``@ajax``, ``@ajax()`` or ``@ajax(login_required=..., require_GET=...,
    require_POST=..., require="PUT")``.

    Anonymous users get 401 ``{"status": "error", "error": "Unauthorized"}``
    (checked before the method, as the original did); other methods get 405
    ``"Method not allowed"`` with an ``Allow`` header.  Method names are
    compared case-insensitively.  As in the original, a view accepts one
    method: of several ``require*`` options the last one read wins
    (``require_GET``, then ``require_POST``, then ``require``).
    """
    methods = _methods(require_GET, require_POST, require)

    def decorate(func: V) -> V:
        return cast(V, _dual(func, methods, login_required))

    return decorate(view) if view is not None else decorate


def _methods(require_get: bool, require_post: bool, require: str | None) -> tuple[str, ...]:
    # The original overwrote one variable in this order; allowing every
    # method named would open a POST-only view to GET (and so to requests
    # no CSRF check covers).
    if require:
        return (require.upper(),)
    if require_post:
        return ("POST",)
    if require_get:
        return ("GET",)
    return ANY_METHOD


def _settings() -> Settings:
    # Dates go through the hooks too, so that every value with isoformat()
    # is written by it, as the original's one encoding hook wrote it: orjson
    # refuses an aware time and a datetime subclass, and drops seconds from
    # a UTC offset.
    encoder = JSONEncoder(passthrough=("datetime",))
    encoder.add_hook(model_values)
    encoder.add_hook(iso_values)
    return Settings(profile=AjaxUtilsProfile(), encoder=encoder)


def _dual(func: Callable[..., Any], methods: tuple[str, ...], login_required: bool) -> Any:
    options = {"methods": methods, "login_required": login_required, "settings": _settings()}
    made: dict[str, Callable[..., Any]] = {}

    def view_for(args: tuple[Any, ...]) -> Callable[..., Any]:
        kind = "django" if args and _is_django_request(args[0]) else "flask"
        if kind not in made:
            module = __import__(f"ajaxkit.{kind}", fromlist=["ajax"])
            made[kind] = module.ajax(**options)(func)
        return made[kind]

    if inspect.iscoroutinefunction(func):
        # Only Django calls async views with the request; Flask's ensure_sync
        # wraps async views itself, which ajaxkit.flask.ajax already handles.
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await view_for(args)(*args, **kwargs)

        return _remembered(func, _mark(functools.wraps(func)(async_wrapper)))

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view_for(args)(*args, **kwargs)

    return _remembered(func, _mark(functools.wraps(func)(wrapper)))


def _remembered(func: Callable[..., Any], wrapper: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapper``, noted as serving ``func`` where Flask is in use.

    Flask's own ``@ajax`` is made only on the first call, which a view
    routed as written (``@ajax`` above ``@app.route``) never gets: told now,
    the Flask integration refuses such a route as it refuses its own.
    """
    if "flask" in sys.modules:
        from ajaxkit.flask.decorator import remember_wrapped

        remember_wrapped(func, wrapper)
    return wrapper


def _mark(wrapper: Callable[..., Any]) -> Callable[..., Any]:
    # Flask reads ``methods`` when the route names none: every method must
    # reach the pipeline so that a wrong one is a 405 in this format.
    wrapper.methods = (*ANY_METHOD, "HEAD", "OPTIONS")  # type: ignore[attr-defined]
    wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
    # Django's middleware must leave CSRF to the pipeline, which answers a
    # failure in this format rather than with Django's HTML page.
    wrapper.csrf_exempt = CSRF_CHECKED_HERE  # type: ignore[attr-defined]
    return wrapper


def _is_django_request(value: Any) -> bool:
    http = sys.modules.get("django.http")
    return http is not None and isinstance(value, http.HttpRequest)


def model_values(value: Any) -> Any:
    """Encode Django model instances and querysets predictably.

    A model becomes ``{"pk": ..., <field>: <value>, ...}`` over its concrete
    fields, a foreign key as the related primary key (never the related
    row); many-to-many fields are left out (return them explicitly, they
    cost a query).  A queryset becomes a list of those; a lazily translated
    string becomes its text.
    """
    models = sys.modules.get("django.db.models")
    functional = sys.modules.get("django.utils.functional")
    if models is not None and isinstance(value, models.Model):
        fields = value._meta.concrete_fields
        return {"pk": value.pk, **{f.name: f.value_from_object(value) for f in fields}}
    if models is not None and isinstance(value, models.QuerySet):
        return list(value)
    if functional is not None and isinstance(value, functional.Promise):
        return str(value)
    return JSONEncoder.SKIP


def iso_values(value: Any) -> Any:
    """``value.isoformat()`` for anything that has it: dates, times,
    datetimes and their subclasses, and date-like objects of other libraries
    (arrow's), as django-ajaxutils encoded them."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else JSONEncoder.SKIP
