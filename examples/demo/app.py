"""The demo app: the ajaxkit endpoint and a static page, on Starlette.

``GET /`` is the search page (plain HTML and one ES module, no build step);
``/ajax/...`` is the ajaxkit mount the page calls as you type.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

import ajaxkit.starlette
from examples.demo import users
from examples.demo.api import create_api

__all__ = ["DEFAULT_DATABASE", "STATIC", "create_app"]

STATIC = Path(__file__).with_name("static")
DEFAULT_DATABASE = Path(__file__).with_name("demo.sqlite3")


def create_app(database: Path = DEFAULT_DATABASE) -> Starlette:
    """The whole demo: the page at ``/``, ajaxkit at ``/ajax``."""
    users.create_database(database)
    app = Starlette()
    app.mount("/ajax", ajaxkit.starlette.app(create_api(database)))
    app.mount("/", StaticFiles(directory=STATIC, html=True))
    return app
