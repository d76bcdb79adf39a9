"""A page using ajaxkit.js: a GET, a form with inline validation errors, live notes.

Run: ``uvicorn examples.client_page.app:app`` and open http://127.0.0.1:8000/.
The page imports the client from the mount (``/ajax/ajaxkit.js``); nothing is
built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest
from ajaxkit.live import Live

STATIC = Path(__file__).resolve().parent / "static"

api = Ajax()
api.batch()  # POST /ajax/_batch: createClient({coalesce: true}) sends one request per tick
live = Live(api)
live.topic("notes")


@api.endpoint("hello", methods=["GET"])
def hello(request: AjaxRequest, name: str = "world") -> dict[str, str]:
    return {"message": f"Hello, {name}!"}


@api.endpoint("notes", methods=["POST"], csrf_exempt=True)
def add_note(
    request: AjaxRequest, title: Annotated[str, Field(min_length=1, max_length=80)], body: str = ""
) -> tuple[dict[str, Any], int]:
    note = {"title": title, "body": body}
    live.publish("notes", note)
    return note, 201


async def page(request: Any) -> FileResponse:
    return FileResponse(STATIC / "index.html")


app = Starlette(
    routes=[
        Route("/", page),
        Mount("/static", StaticFiles(directory=STATIC)),
        Mount("/ajax", app=ajaxkit.starlette.app(api)),
    ]
)
