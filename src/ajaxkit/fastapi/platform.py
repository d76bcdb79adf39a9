"""What ajaxkit needs to know about FastAPI beyond Starlette: :data:`FASTAPI_PLATFORM`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.params import Depends

from ajaxkit.core.platform import Platform, declare
from ajaxkit.starlette.platform import STARLETTE_PLATFORM

__all__ = ["FASTAPI_PLATFORM"]


def _refuse_depends(name: str, default: Any) -> str | None:
    if not isinstance(default, Depends):
        return None
    return (
        "Depends(...) is FastAPI's dependency injection, which does not run for "
        "ajaxkit endpoints (the value would be the Depends object). Take the "
        "request (`request: AjaxRequest`) and call the dependency in the handler, "
        "or use permission= for access checks."
    )


FASTAPI_PLATFORM: Platform = declare(
    replace(
        STARLETTE_PLATFORM,
        name="fastapi",
        request_types=(Request,),
        check_parameter=_refuse_depends,
    )
)
