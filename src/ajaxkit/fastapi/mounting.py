"""Mounting a registry on FastAPI, listed in the app's own OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from ajaxkit.core.openapi import openapi_document
from ajaxkit.core.openapi.merge import merge_document
from ajaxkit.core.registry import Ajax
from ajaxkit.starlette import AjaxMount
from ajaxkit.starlette import mount as starlette_mount

__all__ = ["include_in_openapi", "mount"]


def mount(
    path: str,
    api: Ajax,
    *,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    app: FastAPI | None = None,
) -> AjaxMount:
    """:func:`ajaxkit.starlette.mount`; with ``app``, also :func:`include_in_openapi`."""
    mounted = starlette_mount(path, api, name=name, config=config)
    if app is not None:
        include_in_openapi(app, path, api)
    return mounted


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
