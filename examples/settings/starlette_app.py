"""ajaxkit settings on Starlette: a mapping given to the mount (docs/settings.md)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.routing import Mount

import ajaxkit.starlette
from ajaxkit import Ajax

api = Ajax()


@api.endpoint
def ping() -> dict[str, bool]:
    return {"pong": True}


DEBUG = os.environ.get("APP_DEBUG") == "1"
config = {"DEBUG": DEBUG, "AJAXKIT_MAX_BODY_SIZE": 10 * 1024 * 1024}
app = Starlette(
    debug=DEBUG,
    routes=[Mount("/ajax", app=ajaxkit.starlette.app(api, config=config))],
)
