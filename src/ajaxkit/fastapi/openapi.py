"""A registry's endpoints in the FastAPI app's own OpenAPI document (and ``/docs``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ajaxkit.core.openapi import openapi_document
from ajaxkit.core.openapi.merge import merge_document
from ajaxkit.core.registry import Ajax

__all__ = ["include_in_openapi"]


def include_in_openapi(app: FastAPI, path: str, api: Ajax) -> None:
    """List ``api``'s endpoints, mounted at ``path``, in ``app.openapi()`` (and ``/docs``).

    Wraps ``app.openapi``: FastAPI builds its document once and keeps it in
    ``app.openapi_schema``; the registry's paths are merged into it then.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = merge_document(build(), openapi_document(api, path), path)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
