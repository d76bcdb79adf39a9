"""The modern profile's routes for a model, and registration (``api.model``).

::

    GET    <resource>                 list   (200 {count, next_cursor, results})
    POST   <resource>                 create (201 + Location + ETag)
    GET    <resource>/{pk}            get    (200 + ETag; 304 on If-None-Match)
    PATCH  <resource>/{pk}            partial update (200 + ETag)
    PUT    <resource>/{pk}            full update    (200 + ETag)
    DELETE <resource>/{pk}            delete (204)
    POST   <resource>/{pk}/<action>   @action

The routes are ordinary endpoints added with :meth:`Ajax.add`, so routing,
CSRF, body parsing and the error envelope are the pipeline's as for any
handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ajaxkit.core.conditions import none_match
from ajaxkit.core.idempotency import IDEMPOTENCY_METHODS
from ajaxkit.core.models.endpoint import ALL_OPERATIONS, ActionSpec, ModelEndpoint
from ajaxkit.core.models.query import RESERVED, Expand, bad_parameter, parse_list_query
from ajaxkit.core.models.repository import Repository, repository_for, transaction_source
from ajaxkit.core.models.resource import ModelResource, Record
from ajaxkit.core.models.view import View
from ajaxkit.exceptions import RegistrationError
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax
    from ajaxkit.core.settings import Settings

__all__ = ["register_model"]

Result = Any
_RECORD_PARAMS = frozenset({"expand"})


def register_model(
    api: Ajax,
    model: Any,
    endpoint_class: type[ModelEndpoint] = ModelEndpoint,
    *,
    resource: str | None = None,
    repository: Repository | None = None,
    **options: Any,
) -> ModelResource:
    """Register ``model``'s routes on ``api``; see :meth:`Ajax.model`.

    Raises:
        RegistrationError: a mistake in the model's registration or its
            endpoint class, the message starting ``api.model(<Model>):``.
    """
    # The policy steps' options (rate=..., idempotency=...) apply to every route.
    owned = frozenset().union(*(step.options for step in api.settings.steps))
    step_options = {name: options.pop(name) for name in owned & options.keys()}
    with _naming(model):
        _check_endpoint_class(endpoint_class)
        repo = repository or repository_for(model, **options)
        endpoint = endpoint_class(model, repo, **options)
        name = (resource or endpoint_class.resource or repo.info.resource).strip("/")
        _check_free(api, model, name)
        found = ModelResource(
            endpoint,
            name,
            _lookup(api),
            lambda: api.settings.encoder,
            resources=api.models.get,
            secret=lambda: _cursor_keys(api.settings),
            logger_name=lambda: api.settings.logger_name,
        )
        # All routes or none: a clash on the last must not leave the first served.
        with api.registering():
            _add_routes(api, found, step_options)
    api.models[model] = found
    return found


def _cursor_keys(settings: Settings) -> tuple[str | bytes, ...] | None:
    """The keys cursors are checked with, the signing one last (``None``: the
    process's own key, and no fallbacks: they are another key's)."""
    if not settings.secret_key:
        return None
    return (*settings.secret_key_fallbacks, settings.secret_key)


def _check_endpoint_class(endpoint_class: Any) -> None:
    """The endpoint is a ModelEndpoint subclass, which is called with the model.

    A schema (django-ninja's ``ModelSchema`` habit), a plain class or an
    instance failed with the TypeError of that call.
    """
    if not (isinstance(endpoint_class, type) and issubclass(endpoint_class, ModelEndpoint)):
        what = endpoint_class if isinstance(endpoint_class, type) else type(endpoint_class)
        kind = "the class" if what is endpoint_class else "an instance of"
        raise RegistrationError(
            f"the endpoint must be a ModelEndpoint subclass (class NoteEndpoint"
            f"(ModelEndpoint): fields = (...)), passed as the class itself, "
            f"not {kind} {what.__qualname__}."
        )


def _model_name(model: Any) -> str:
    return str(getattr(model, "__name__", repr(model)))


@contextmanager
def _naming(model: Any) -> Iterator[None]:
    """Prefix a registration mistake with the model it was found registering.

    The checks deep in the repository and the resource know a field or an
    endpoint class, not which ``api.model(...)`` call the reader has to fix.
    """
    prefix = f"api.model({_model_name(model)}): "
    try:
        yield
    except RegistrationError as exc:
        if str(exc).startswith(prefix):
            raise
        raise RegistrationError(prefix + str(exc)) from exc


def _check_free(api: Ajax, model: Any, name: str) -> None:
    """Neither the resource name nor the model is registered yet."""
    for other, res in api.models.items():
        if res.name == name:
            raise RegistrationError(
                f"the resource name {name!r} is already taken by "
                f"api.model({_model_name(other)}); pass resource='...' to choose another."
            )
    if model in api.models:
        raise RegistrationError(
            f"the model is already registered as {api.models[model].name!r}; "
            "register each model once."
        )


def _lookup(api: Ajax) -> Callable[[Any], View | None]:
    def view_of(model: Any) -> View | None:
        found = api.models.get(model)
        return found.view if found is not None else None

    return view_of


def _add_routes(api: Ajax, res: ModelResource, step_options: dict[str, Any]) -> None:
    ops = set(res.endpoint.operations)
    if not ops <= ALL_OPERATIONS:
        unknown = ", ".join(map(repr, sorted(ops - ALL_OPERATIONS)))
        known = ", ".join(sorted(ALL_OPERATIONS))
        raise RegistrationError(
            f"{type(res.endpoint).__name__}.operations: unknown operation(s) {unknown}; "
            f"use some of {known}."
        )
    collection = {"GET": _list(res), "POST": _create(res)}
    item = {
        "GET": _get(res),
        "PATCH": _update(res, partial=True),
        "PUT": _update(res, partial=False),
    }
    item["DELETE"] = _delete(res)
    # Every route of the model may be an item of an atomic batch when its
    # repository can join the batch's transaction.
    source = transaction_source(res.repository)
    step_options = {**step_options, "transactions": None if source is None else (source,)}
    planned: list[tuple[str, Callable[..., Any], Sequence[str]]] = []
    wanted = {"GET": "list", "POST": "create"}
    for method, handler in collection.items():
        if wanted[method] in ops:
            planned.append((res.name, handler, (method,)))
    item_ops = {"GET": "get", "PATCH": "update", "PUT": "update", "DELETE": "delete"}
    for method, handler in item.items():
        if item_ops[method] in ops:
            planned.append((f"{res.name}/{{pk}}", handler, (method,)))
    for spec in res.actions.values():
        planned.append((f"{res.name}/{{pk}}/{spec.name}", _action(res, spec), spec.methods))
    _check_required_key(res, [methods for _, _, methods in planned], step_options)
    for route, handler, methods in planned:
        api.add(route, handler, methods=methods, **_route_options(step_options, methods))


def _check_required_key(
    res: ModelResource, route_methods: list[Sequence[str]], step_options: dict[str, Any]
) -> None:
    """Refuse ``idempotency="required"`` on a model with no route a key can guard."""
    if step_options.get("idempotency") != "required":
        return
    if any(set(methods) & IDEMPOTENCY_METHODS for methods in route_methods):
        return
    raise RegistrationError(
        "idempotency='required' asks POST and PATCH requests for an Idempotency-Key, "
        f"and no route of {res.name!r} takes one."
    )


def _route_options(step_options: dict[str, Any], methods: Iterable[str]) -> dict[str, Any]:
    """The policy options of one route answering ``methods``.

    ``idempotency="required"`` applies to every route a key can guard (POST,
    PATCH); the model's other routes (reads, PUT, DELETE) honour a key
    without asking for one, as a plain endpoint with those methods must.
    """
    if step_options.get("idempotency") == "required" and not set(methods) & IDEMPOTENCY_METHODS:
        return {**step_options, "idempotency": True}
    return step_options


def _record_expand(res: ModelResource, request: AjaxRequest) -> Expand:
    for name in request.query:
        if name not in _RECORD_PARAMS and not name.startswith("_"):
            hint = " (list parameters apply to the collection)" if name in RESERVED else ""
            raise bad_parameter(name, f"Unknown parameter {name!r}{hint}.")
    return res.parse_expand(request.query.get("expand", ""))


def _headers(record: Record) -> dict[str, str]:
    return {"ETag": record.etag}


def _list(res: ModelResource) -> Callable[[AjaxRequest], Result]:
    def list_records(request: AjaxRequest) -> Result:
        return res.list(request, parse_list_query(request.query, res.rules)).as_dict()

    list_records.__qualname__ = f"{res.name}:list"
    return list_records


def _create(res: ModelResource) -> Callable[[AjaxRequest], Result]:
    def create_record(request: AjaxRequest) -> Result:
        record = res.create(request, request.data, _record_expand(res, request))
        location = f"{request.path.rstrip('/')}/{quote(str(record.pk), safe='')}"
        return record.data, 201, {**_headers(record), "Location": location}

    create_record.__qualname__ = f"{res.name}:create"
    return create_record


def _get(res: ModelResource) -> Callable[[AjaxRequest], Result]:
    def get_record(request: AjaxRequest) -> Result:
        expand = _record_expand(res, request)
        record = res.retrieve(request, res.convert_pk(request.path_params["pk"]), expand)
        if none_match(request.headers.get("if-none-match"), record.etag):
            return None, 304, _headers(record)
        return record.data, 200, _headers(record)

    get_record.__qualname__ = f"{res.name}:get"
    return get_record


def _update(res: ModelResource, *, partial: bool) -> Callable[[AjaxRequest], Result]:
    def update_record(request: AjaxRequest) -> Result:
        pk = res.convert_pk(request.path_params["pk"])
        record = res.update(
            request, pk, request.data, _record_expand(res, request), partial=partial
        )
        return record.data, 200, _headers(record)

    update_record.__qualname__ = f"{res.name}:{'patch' if partial else 'put'}"
    return update_record


def _delete(res: ModelResource) -> Callable[[AjaxRequest], Result]:
    def delete_record(request: AjaxRequest) -> Result:
        _record_expand(res, request)
        res.destroy(request, res.convert_pk(request.path_params["pk"]))
        return None

    delete_record.__qualname__ = f"{res.name}:delete"
    return delete_record


def _action(res: ModelResource, spec: ActionSpec) -> Callable[[AjaxRequest], Result]:
    def run_action(request: AjaxRequest) -> Result:
        pk = res.convert_pk(request.path_params["pk"])
        result = res.run_action(request, pk, spec, _record_expand(res, request))
        if isinstance(result, Record):
            return result.data, 200, _headers(result)
        return result

    run_action.__qualname__ = f"{res.name}:{spec.name}"
    return run_action
