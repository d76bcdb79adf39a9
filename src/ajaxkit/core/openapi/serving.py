"""Serving the document and the declarations below a registry's mount."""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from ajaxkit.core.conditions import none_match
from ajaxkit.core.openapi.document import DocumentCache
from ajaxkit.core.openapi.typescript import typescript_declarations
from ajaxkit.core.routing import mount_path
from ajaxkit.exceptions import NotFound
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["OPENAPI_ROUTE", "TYPES_ROUTE", "add_doc_routes", "openapi_document"]

OPENAPI_ROUTE = "_openapi.json"
TYPES_ROUTE = "_types.d.ts"
#: Encoded documents kept per route (one per mount the registry is served at).
_KEPT = 16
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
    json_bodies = _Encoded(orjson.dumps)
    ts_bodies = _Encoded(lambda document: typescript_declarations(document).encode())

    def serve_openapi(request: AjaxRequest) -> AjaxResponse:
        document = openapi_document(api, _mount(api, request, OPENAPI_ROUTE))
        return _answer(request, json_bodies.encode(document), "application/json")

    def serve_types(request: AjaxRequest) -> AjaxResponse:
        _mount(api, request, TYPES_ROUTE)
        document = openapi_document(api, "")
        return _answer(request, ts_bodies.encode(document), "application/typescript; charset=utf-8")

    serve_openapi.__qualname__ = "ajaxkit:openapi"
    serve_types.__qualname__ = "ajaxkit:types"
    api.add(OPENAPI_ROUTE, serve_openapi, methods=["GET"])
    api.add(TYPES_ROUTE, serve_types, methods=["GET"])


class _Encoded:
    """Bodies and ETags of the documents last served, made once per document."""

    def __init__(self, encode: Callable[[dict[str, Any]], bytes]) -> None:
        self._encode = encode
        self._lock = threading.Lock()
        # id(document) -> (document, body, etag); holding the document keeps its id unique.
        self._made: dict[int, tuple[dict[str, Any], bytes, str]] = {}

    def encode(self, document: dict[str, Any]) -> tuple[bytes, str]:
        with self._lock:
            found = self._made.get(id(document))
            if found is None or found[0] is not document:
                if len(self._made) >= _KEPT:
                    self._made.clear()
                body = self._encode(document)
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                found = self._made[id(document)] = (document, body, etag)
            return found[1], found[2]


def _mount(api: Ajax, request: AjaxRequest, route: str) -> str:
    if not api.settings.openapi:
        raise NotFound(f"No endpoint at {route!r}.")
    return mount_path(request.path, route) or ""


def _answer(request: AjaxRequest, encoded: tuple[bytes, str], content_type: str) -> AjaxResponse:
    body, etag = encoded
    # no-cache: the document changes with the code; revalidating is one 304.
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if none_match(request.headers.get("if-none-match"), etag):
        return AjaxResponse(status=304, headers=headers)
    return AjaxResponse(status=200, body=body, headers={**headers, "Content-Type": content_type})
