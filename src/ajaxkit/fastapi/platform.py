"""What ajaxkit needs to know about FastAPI beyond Starlette: :data:`FASTAPI_PLATFORM`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.params import Cookie, Depends, Header

from ajaxkit.core.platform import Platform, declare
from ajaxkit.starlette.platform import STARLETTE_PLATFORM

__all__ = ["FASTAPI_PLATFORM"]


def _refuse_fastapi_markers(name: str, marker: Any) -> str | None:
    """Refuse FastAPI's parameter markers that would have ajaxkit bind the wrong value.

    ajaxkit binds every parameter from the query string or body by name, so
    the client, not FastAPI, would fill a ``Depends``, ``Header`` or
    ``Cookie`` parameter.  ``Query``, ``Path``, ``Body`` and ``Form`` carry
    only constraints there, which pydantic applies.
    """
    if isinstance(marker, Depends):
        return (
            "Depends(...) is FastAPI's dependency injection, which does not run for "
            "ajaxkit endpoints: the client would fill the parameter from the query "
            "string or body. Take the request (`request: AjaxRequest`) and call the "
            "dependency in the handler, or use permission= for access checks."
        )
    for marker_type, attribute in ((Header, "headers"), (Cookie, "cookies")):
        if isinstance(marker, marker_type):
            return (
                f"{marker_type.__name__}() asks FastAPI to read the request's {attribute}, "
                "but ajaxkit binds parameters from the query string or body by name. "
                f"Take the request (`request: AjaxRequest`) and read request.{attribute}."
            )
    return None


FASTAPI_PLATFORM: Platform = declare(
    replace(
        STARLETTE_PLATFORM,
        name="fastapi",
        request_types=(Request,),
        check_parameter=_refuse_fastapi_markers,
    )
)
