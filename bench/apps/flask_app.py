"""Flask (gunicorn, sync worker): ``bench.apps.flask_app:app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

import ajaxkit.flask
from bench.apps.data import RATE, SMALL, USERS, make_api, serves

__all__ = ["app"]


def small() -> dict[str, str]:
    return {"message": SMALL["message"]}


def users() -> list[dict[str, Any]]:
    return USERS


def echo() -> Any:
    return request.get_json()


def echo_csrf() -> Any:
    return request.get_json()


def limited() -> dict[str, str]:
    return {"message": SMALL["message"]}


def serve_peers(app: Flask) -> None:
    """``/peer/*``: the raw views, with Flask-Limiter and Flask-WTF installed as their docs say.

    ``limited`` is ``small`` under Flask-Limiter's ``100/second`` per client
    address; ``echo-csrf`` is ``echo`` under Flask-WTF's ``CSRFProtect``
    (token from ``_csrf``, in ``X-CSRFToken``, its secret in the session
    cookie), ``echo`` is exempt.  Both extensions hook every request of the
    app (before, after and teardown), so ``small`` pays for them too.
    """
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    from flask_wtf.csrf import CSRFProtect, generate_csrf  # type: ignore[import-untyped]
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.config["SECRET_KEY"] = "bench-not-secret"
    # Tokens never expire during a run, however long (the default is an hour).
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    # One proxy in front is trusted, as ajaxkit's trusted_proxies=1: Flask-Limiter's
    # documented way is ProxyFix, so that get_remote_address sees the client.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    csrf = CSRFProtect(app)
    app.get("/peer/small")(small)
    app.get("/peer/users")(users)
    app.post("/peer/echo")(csrf.exempt(echo))
    app.post("/peer/echo-csrf")(echo_csrf)
    app.get("/peer/limited")(limiter.limit(RATE)(limited))
    app.get("/peer/_csrf")(lambda: {"token": generate_csrf()})


app = Flask(__name__)

if serves("raw"):
    app.get("/raw/small")(small)
    app.get("/raw/users")(users)
    app.post("/raw/echo")(echo)

if serves("ajax"):
    app.register_blueprint(
        ajaxkit.flask.blueprint(make_api(asynchronous=False)), url_prefix="/ajax"
    )

if serves("peer"):
    serve_peers(app)
