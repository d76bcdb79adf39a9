"""django-ajax's URL grammar on an :class:`~ajaxkit.Ajax` registry.

::

    <app>/<name>.json                        ad-hoc endpoint, else create
    <app>/<model>/<operation>.json           list, custom operations
    <app>/<model>/<pk>/<operation>.json      get, update, delete, custom
    <app>/<model>/<pk>/tags/<command>.json   add, remove, set, clear, similar

Every route answers POST only (other methods: 400 "Invalid HTTP method
used.").  ``<app>`` is an installed app's label; ad-hoc endpoints are the
functions defined in that app's ``endpoints.py`` (and ``BaseEndpoint``
instances there), never imported names, classes or ``_private`` names.
Model routes need the model to belong to ``<app>``.  Everything else
(CSRF, body parsing, errors) is the pipeline's, with the
:class:`~ajaxkit.compat.django_ajax.profile.DjangoAjaxProfile`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from django.apps import AppConfig, apps
from django.http import Http404, QueryDict
from django.utils.module_loading import module_has_submodule

from ajaxkit.compat.django_ajax.encoders import json_encoder
from ajaxkit.compat.django_ajax.endpoints import BaseEndpoint, endpoint
from ajaxkit.compat.django_ajax.exceptions import AJAXError, NotRegistered
from ajaxkit.compat.django_ajax.profile import DjangoAjaxProfile, EnvelopedResponse
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings
from ajaxkit.types import AjaxRequest

__all__ = ["EnvelopedResponse", "api", "build_api"]

NO_ENDPOINT = "AJAX endpoint does not exist."
_OTHER_METHODS = ("GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")


def _app(label: str) -> AppConfig:
    try:
        return apps.get_app_config(label)
    except LookupError:
        raise AJAXError(404, NO_ENDPOINT) from None


@functools.cache
def autodiscover() -> None:
    """Import every installed app's ``endpoints`` module (they register models)."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "endpoints"):
            importlib.import_module(f"{config.name}.endpoints")


def ad_hoc(config: AppConfig, name: str) -> Callable[[Any], Any] | None:
    """The ad-hoc endpoint ``name`` of ``config``'s ``endpoints.py``, if routable."""
    if name.startswith("_") or not module_has_submodule(config.module, "endpoints"):
        return None
    module = importlib.import_module(f"{config.name}.endpoints")
    found = vars(module).get(name)
    if inspect.isfunction(found) and found.__module__ == module.__name__:
        return found
    if isinstance(found, BaseEndpoint):
        return found
    return None


def _call_ad_hoc(func: Callable[[Any], Any], request: AjaxRequest) -> Any:
    native = request.native
    if isinstance(request.data, dict):
        # A JSON object body reads like the form django-ajax endpoints expect.
        native.POST = _as_query_dict(request.data)
    return func(native)


def _as_query_dict(data: dict[str, Any]) -> QueryDict:
    form = QueryDict(mutable=True)
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            form.appendlist(key, _form_text(item))
    form._mutable = False
    return form


def _form_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _model_operation(
    request: AjaxRequest, application: str, model_name: str, method: str, **kwargs: Any
) -> Any:
    autodiscover()
    try:
        legacy = endpoint.load(model_name, application, method, **kwargs)
    except NotRegistered:
        # The original answered 500 "Invalid model." here.
        raise AJAXError(404, NO_ENDPOINT) from None
    endpoint.bind(legacy, request)
    if not legacy.authenticate(request.native, application, method):
        raise AJAXError(403, "User is not authorized.")
    operation = legacy.operation(method)
    if operation is None:
        raise AJAXError(404, "Invalid method.")
    return operation(request.native)


def as_original(handler: Callable[[AjaxRequest], Any]) -> Callable[[AjaxRequest], Any]:
    """``handler`` with the original ``json_response``'s two rules: an
    ``Http404`` is ``AJAXError(404, str(exc))``, its message as written (empty
    for a bare ``Http404``, Django's phrase for ``get_object_or_404``), and an
    ``AJAXError`` the endpoint returns is raised."""

    @functools.wraps(handler)
    def wrapper(request: AjaxRequest) -> Any:
        try:
            result = handler(request)
        except Http404 as exc:
            raise AJAXError(404, str(exc)) from exc
        if isinstance(result, AJAXError):
            raise result
        return result

    return wrapper


@as_original
def named(request: AjaxRequest) -> Any:
    """``<app>/<name>.json``: an ad-hoc endpoint, else a model's create."""
    config = _app(request.path_params["app"])
    name = request.path_params["name"]
    func = ad_hoc(config, name)
    if func is not None:
        return _call_ad_hoc(func, request)
    return _model_operation(request, config.label, name, "create")


@as_original
def model_operation(request: AjaxRequest) -> Any:
    """``<app>/<model>/<operation>.json``."""
    params = request.path_params
    config = _app(params["app"])
    return _model_operation(request, config.label, params["model"], params["operation"].lower())


@as_original
def record_operation(request: AjaxRequest) -> Any:
    """``<app>/<model>/<pk>/<operation>.json``."""
    params = request.path_params
    config = _app(params["app"])
    operation = params["operation"].lower()
    return _model_operation(request, config.label, params["model"], operation, pk=params["pk"])


@as_original
def taggit_operation(request: AjaxRequest) -> Any:
    """``<app>/<model>/<pk>/tags/<command>.json``."""
    params = request.path_params
    config = _app(params["app"])
    return _model_operation(
        request,
        config.label,
        params["model"],
        "tags",
        pk=params["pk"],
        taggit_command=params["command"].lower(),
    )


def nowhere(request: AjaxRequest) -> Any:
    """Any other path below the mount."""
    raise AJAXError(404, NO_ENDPOINT)


def wrong_method(request: AjaxRequest) -> Any:
    """Every method but POST."""
    raise AJAXError(400, "Invalid HTTP method used.")


def build_api() -> Ajax:
    """The registry serving django-ajax's grammar with its wire format."""
    settings = Settings(profile=DjangoAjaxProfile(), encoder=json_encoder())
    api = Ajax(settings)
    routes: list[tuple[str, Callable[[AjaxRequest], Any]]] = [
        ("{app}/{name}.json", named),
        ("{app}/{model}/{operation}.json", model_operation),
        ("{app}/{model}/{pk}/{operation}.json", record_operation),
        ("{app}/{model}/{pk}/tags/{command}.json", taggit_operation),
        ("", nowhere),
        ("{rest:path}", nowhere),
    ]
    for route, handler in routes:
        api.add(route, handler, methods=["POST"])
        # Nothing but a 400 is answered, so no CSRF token is needed for it.
        api.add(route, wrong_method, methods=_OTHER_METHODS, csrf_exempt=True)
    return api


#: The registry ``ajaxkit.compat.django_ajax.urls`` mounts.
api = build_api()
