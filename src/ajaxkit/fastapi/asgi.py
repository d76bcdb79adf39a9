"""The FastAPI flavour of the ASGI app: Starlette's, with FastAPI's facts."""

from __future__ import annotations

import warnings
from typing import Any

from ajaxkit.core.registration_checks import check_for_platform
from ajaxkit.core.registry import Ajax
from ajaxkit.exceptions import ConfigurationWarning
from ajaxkit.fastapi.platform import FASTAPI_PLATFORM
from ajaxkit.starlette.asgi import AjaxApp as StarletteApp

__all__ = ["AjaxApp", "refuse_depends"]


class AjaxApp(StarletteApp):
    """The Starlette :class:`~ajaxkit.starlette.AjaxApp`, explaining the FastAPI mistake.

    ``include_router`` reaches for router attributes this ASGI app does not
    have; the error says to mount it instead.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}: "
            "ajaxkit.fastapi.app(api) is an ASGI app, not an APIRouter, so "
            "include_router() cannot take it. Mount it instead: "
            'app.mount("/ajax", ajaxkit.fastapi.app(api)).'
        )

    def __init__(self, api: Ajax) -> None:
        super().__init__(api, FASTAPI_PLATFORM)
        refuse_depends(api)


def refuse_depends(api: Ajax) -> None:
    """Check at mount what registration could not: ``Depends`` (and the other
    markers FastAPI's parameter check refuses) and FastAPI's ``UploadFile``.

    Endpoints registered before ajaxkit.fastapi was first imported escaped
    its registration checks; the others passed them, and are not read again.
    """
    check_for_platform(api.endpoints(), FASTAPI_PLATFORM.name)


def warn_unrun_dependencies(app: object, path: str) -> None:
    """Warn when ``app`` has app-wide ``dependencies=[...]``: FastAPI runs
    them for its path operations only, never for a mounted app, so an
    API-key or tenant check there would not guard ajaxkit's endpoints."""
    router = getattr(app, "router", None)
    dependencies = getattr(router, "dependencies", None) or ()
    if not dependencies:
        return
    names = ", ".join(getattr(d.dependency, "__name__", repr(d.dependency)) for d in dependencies)
    message = (
        f"FastAPI(dependencies=[...]) ({names}) do not run for the ajaxkit endpoints "
        f"at {path}: FastAPI runs them for its own routes only. Check with "
        "login_required=True or permission= on the endpoints, or in a middleware."
    )
    warnings.warn(message, ConfigurationWarning, stacklevel=3)
