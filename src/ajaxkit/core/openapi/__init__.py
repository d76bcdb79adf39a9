"""The machine-readable contract of a registry: OpenAPI 3.1 and TypeScript.

Every registry serves, below its mount:

- ``GET <mount>/_openapi.json`` — the OpenAPI 3.1 document of its endpoints
  (handlers from their signatures, models from their field metadata,
  errors as ``application/problem+json``; WebSocket routes under the
  ``x-ajaxkit-websockets`` extension, as OpenAPI has no sockets);
- ``GET <mount>/_types.d.ts`` — TypeScript declarations of the same.

``Settings(openapi=False)`` (``AJAXKIT_OPENAPI = False``) answers both with
404.  :func:`openapi_document` gives the document to Python code (the
FastAPI integration merges it into the app's own ``/openapi.json``).
"""

from __future__ import annotations

from ajaxkit.core.openapi.document import DOC_ROUTES, build_document
from ajaxkit.core.openapi.serving import (
    OPENAPI_ROUTE,
    TYPES_ROUTE,
    add_doc_routes,
    openapi_document,
)
from ajaxkit.core.openapi.typescript import typescript_declarations

__all__ = [
    "DOC_ROUTES",
    "OPENAPI_ROUTE",
    "TYPES_ROUTE",
    "add_doc_routes",
    "build_document",
    "openapi_document",
    "typescript_declarations",
]
