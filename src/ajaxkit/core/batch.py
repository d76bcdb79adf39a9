"""The batch endpoint: several calls in one request (``POST <mount>/_batch``).

Request body::

    {"items": [{"method": "GET", "path": "users/search", "params": {"q": "al"}},
               {"method": "POST", "path": "notes", "body": {"title": "x"},
                "headers": {"Idempotency-Key": "…"}}]}

Answer (200 whenever the batch itself was valid)::

    {"items": [{"status": 200, "headers": {…}, "body": […]},
               {"status": 422, "headers": {…}, "body": {problem}}]}

Each item runs through the whole pipeline — admission (route, method,
authentication, permission, rate limits…) and answer — exactly as if it had
been sent alone, in order, with the batch request's user and cookies.  CSRF
is checked once, for the batch request: an item carries no browser headers
of its own, and the headers an item may send never include the ones that
identify the caller or the page (``Cookie``, ``Authorization``, ``Origin``,
``Sec-Fetch-*``…).  Items may not be streams (400 for that item) or batches.
Cookies set by items are set on the batch response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from ajaxkit.core.effects import Flow
from ajaxkit.core.errors import render_exception
from ajaxkit.core.pipeline import flow
from ajaxkit.core.steps import BATCH_ITEM, load_user
from ajaxkit.exceptions import ClientError, RegistrationError, ValidationFailed
from ajaxkit.types import AjaxRequest, AjaxResponse, Headers, MultiDict

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.registry import Ajax
    from ajaxkit.core.settings import Settings

__all__ = ["DEFAULT_MAX_ITEMS", "BatchAnswer", "BatchItem", "BatchItemAnswer", "enable_batch"]

#: Most items one batch may hold.
DEFAULT_MAX_ITEMS = 20

#: Headers that identify the caller or the page: never taken from an item.
_IDENTITY_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "origin",
        "referer",
        "sec-fetch-dest",
        "sec-fetch-mode",
        "sec-fetch-site",
        "sec-fetch-user",
        "x-csrftoken",
        "x-csrf-token",
        "x-forwarded-for",
        "x-http-method-override",
    }
)
#: Headers of the batch request that describe its own body or condition: not inherited.
_OWN_HEADERS = frozenset(
    {"content-length", "content-type", "transfer-encoding", "idempotency-key"}
    | {"if-match", "if-none-match", "if-modified-since", "if-unmodified-since"}
)
_JSON_TYPES = ("application/json", "application/problem+json")

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class BatchItem(BaseModel):
    """One call of a batch."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "GET"
    path: Annotated[str, Field(min_length=1, max_length=2000)]
    params: dict[str, str | int | float | bool | list[str | int | float | bool]] = {}
    body: Any = None
    headers: dict[str, str] = {}


class BatchItemAnswer(TypedDict):
    """One item's answer: what it would have answered alone."""

    status: int
    headers: dict[str, str]
    body: Any


class BatchAnswer(TypedDict):
    """The batch's answer (its OpenAPI result schema), items in order."""

    items: list[BatchItemAnswer]


def enable_batch(
    api: Ajax, route: str = "_batch", max_items: int = DEFAULT_MAX_ITEMS, **options: Any
) -> None:
    """Serve batches of ``api``'s endpoints at ``<mount>/<route>`` (``POST``).

    ``options`` are the batch request's own policy-step options
    (``login_required``, ``csrf_exempt``, ...), as for any endpoint.
    """
    batch_route = route.strip("/")
    _check_max_items(batch_route, max_items)

    def batch(request: AjaxRequest, items: list[BatchItem], atomic: bool = False) -> BatchAnswer:
        """Run ``items`` in order (documentation and binding: the work is :func:`run`)."""
        raise AssertionError("never called: the endpoint's flow answers")

    # Set as objects, not strings: the limit is this registry's, not a global.
    batch.__annotations__ = {
        "request": AjaxRequest,
        "items": Annotated[list[BatchItem], Field(min_length=1, max_length=max_items)],
        "atomic": bool,
        "return": BatchAnswer,
    }

    def run(
        request: AjaxRequest, settings: Settings, platform: Platform, arguments: Mapping[str, Any]
    ) -> Flow[AjaxResponse]:
        if arguments.get("atomic"):
            raise ValidationFailed(
                [{"pointer": "#/atomic", "detail": "Atomic batches are not available yet."}]
            )
        # Loaded once, shared by every item.
        yield load_user(request, platform)
        answers, cookies = [], []
        for item in arguments["items"]:
            if item.path.strip("/") == batch_route:
                response = _refused(request, settings, platform, "A batch cannot contain a batch.")
            else:
                sub = _item_request(request, item, batch_route)
                response = yield from flow(api.router, settings, sub, platform)
                if response.stream is not None:
                    response = _refused(
                        request, settings, platform, "A streamed response cannot be batched."
                    )
            response = _readable(response, platform)
            cookies += response.cookies
            answers.append(_describe(response))
        body = settings.encoder.dumps({"items": answers})
        return AjaxResponse(
            status=200, body=body, headers={"Content-Type": "application/json"}, cookies=cookies
        )

    endpoint = api.add(batch_route, batch, methods=["POST"], **options)
    _install_flow(api, batch_route, run, endpoint)


def _check_max_items(route: str, max_items: object) -> None:
    # ``True`` is an int to Python but never a meant limit.
    if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
        raise RegistrationError(
            f"Endpoint 'batch ({route or '/'})': max_items must be a whole number, "
            f"1 or more, not {max_items!r}."
        )


def _install_flow(api: Ajax, route: str, run: Any, endpoint: Any) -> None:
    import dataclasses

    target = api.router.route(route)
    with_flow = dataclasses.replace(endpoint, flow=run)
    for method, registered in list(target.endpoints.items()):
        if registered is endpoint:
            target.endpoints[method] = with_flow


def _item_request(parent: AjaxRequest, item: BatchItem, batch_route: str) -> AjaxRequest:
    route = item.path.split("?", 1)[0].strip("/")
    mount = parent.path[: len(parent.path) - len(parent.route)].rstrip("/")
    inherited = [
        (name, value)
        for name, value in parent.headers.items()
        if name.lower() not in _OWN_HEADERS and name.lower() not in _IDENTITY_HEADERS
    ]
    identity = [(n, v) for n, v in parent.headers.items() if n.lower() in _IDENTITY_HEADERS]
    own = [(n, v) for n, v in item.headers.items() if n.lower() not in _IDENTITY_HEADERS]
    body = b""
    if item.body is not None:
        body = orjson.dumps(item.body)
        own = [(n, v) for n, v in own if n.lower() != "content-type"]
        own.append(("Content-Type", "application/json"))
    query = MultiDict(_pairs(item.params))
    child = parent.derive(
        method=item.method,
        path=f"{mount}/{route}",
        route=route,
        query=query,
        headers=Headers([*identity, *inherited, *own]),
        body=body,
    )
    child.state[BATCH_ITEM] = True
    return child


def _pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, _text(one)))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refused(
    request: AjaxRequest, settings: Settings, platform: Platform, detail: str
) -> AjaxResponse:
    return render_exception(ClientError(detail), settings, request, platform, "batch")


def _readable(response: AjaxResponse, platform: Platform) -> AjaxResponse:
    """An item's answer as an :class:`AjaxResponse` (a handler may have returned a native one)."""
    native = response.native
    if native is None:
        return response
    if isinstance(native, AjaxResponse):  # framework-free: the native response is ours
        return native
    if platform.describe_native is None:
        return AjaxResponse(status=response.status)
    summary = platform.describe_native(native)
    headers = {"Content-Type": summary.content_type} if summary.content_type else {}
    return AjaxResponse(status=summary.status, body=summary.body, headers=headers)


def _describe(response: AjaxResponse) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() != "content-length"}
    content_type = (response.content_type or "").partition(";")[0].strip().lower()
    body: Any = None
    if response.body:
        if content_type in _JSON_TYPES or content_type.endswith("+json"):
            body = orjson.loads(response.body)
        else:
            body = response.body.decode("utf-8", "replace")
    return {"status": response.status, "headers": headers, "body": body}
