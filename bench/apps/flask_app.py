"""Flask (gunicorn, sync worker): ``bench.apps.flask_app:app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

import ajaxkit.flask
from bench.apps.data import SMALL, USERS, make_api, serves

__all__ = ["app"]


def small() -> dict[str, str]:
    return {"message": SMALL["message"]}


def users() -> list[dict[str, Any]]:
    return USERS


def echo() -> Any:
    return request.get_json()


app = Flask(__name__)

if serves("raw"):
    app.get("/raw/small")(small)
    app.get("/raw/users")(users)
    app.post("/raw/echo")(echo)

if serves("ajax"):
    app.register_blueprint(
        ajaxkit.flask.blueprint(make_api(asynchronous=False)), url_prefix="/ajax"
    )
