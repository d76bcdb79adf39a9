"""Flask (gunicorn, sync worker): ``bench.apps.flask_app:app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

import ajaxkit.flask
from bench.apps.data import SMALL, USERS, make_api

__all__ = ["app"]

app = Flask(__name__)


@app.get("/raw/small")
def small() -> dict[str, str]:
    return {"message": SMALL["message"]}


@app.get("/raw/users")
def users() -> list[dict[str, Any]]:
    return USERS


@app.post("/raw/echo")
def echo() -> Any:
    return request.get_json()


app.register_blueprint(ajaxkit.flask.blueprint(make_api(asynchronous=False)), url_prefix="/ajax")
