"""Serving the document and the declarations below a registry's mount."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import orjson

from ajaxkit.core.openapi.document import DocumentCache
from ajaxkit.core.openapi.typescript import typescript_declarations
from ajaxkit.exceptions import NotFound
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["OPENAPI_ROUTE", "TYPES_ROUTE", "add_doc_routes", "openapi_document"]

OPENAPI_ROUTE = "_openapi.json"
TYPES_ROUTE = "_types.d.ts"
_CACHES: weakref.WeakKeyDictionary[Ajax, DocumentCache] = weakref.WeakKeyDictionary()


def openapi_document(api: Ajax, mount: str = "") -> dict[str, Any]:
    """``api``'s OpenAPI document, its ``servers`` naming ``mount`` (cached).

    Do not change the returned dict: it is shared by every request.
    """
    cache = _CACHES.get(api)
    if cache is None:
        cache = _CACHES[api] = DocumentCache(api)
    return cache.document(mount)


def add_doc_routes(api: Ajax) -> None:
    """Register ``_openapi.json`` and ``_types.d.ts`` on ``api`` (the registry does)."""
    # The text of the last document built: (document, text).
    typed: list[tuple[dict[str, Any], bytes]] = []

    def serve_openapi(request: AjaxRequest) -> AjaxResponse:
        document = openapi_document(api, _mount(api, request, OPENAPI_ROUTE))
        return _answer(orjson.dumps(document), "application/json")

    def serve_types(request: AjaxRequest) -> AjaxResponse:
        _mount(api, request, TYPES_ROUTE)
        document = openapi_document(api, "")
        if not typed or typed[0][0] is not document:
            typed[:] = [(document, typescript_declarations(document).encode())]
        return _answer(typed[0][1], "application/typescript; charset=utf-8")

    serve_openapi.__qualname__ = "ajaxkit:openapi"
    serve_types.__qualname__ = "ajaxkit:types"
    api.add(OPENAPI_ROUTE, serve_openapi, methods=["GET"])
    api.add(TYPES_ROUTE, serve_types, methods=["GET"])


def _mount(api: Ajax, request: AjaxRequest, route: str) -> str:
    if not api.settings.openapi:
        raise NotFound(f"No endpoint at {route!r}.")
    path = request.path.rstrip("/")
    return path.removesuffix(route).rstrip("/")


def _answer(body: bytes, content_type: str) -> AjaxResponse:
    # no-cache: the document changes with the code, and revalidating is cheap.
    headers = {"Content-Type": content_type, "Cache-Control": "no-cache"}
    return AjaxResponse(status=200, body=body, headers=headers)
