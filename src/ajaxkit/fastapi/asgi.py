"""The FastAPI flavour of the ASGI app: Starlette's, with FastAPI's facts."""

from __future__ import annotations

from typing import Any

from ajaxkit.core.registration_checks import check_for_platform
from ajaxkit.core.registry import Ajax
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
