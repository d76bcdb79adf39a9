"""ajaxkit settings on Flask, from ``app.config`` (docs/settings.md)."""

from __future__ import annotations

from flask import Flask

from ajaxkit import Ajax
from ajaxkit.flask import AjaxKit

api = Ajax(debug=True)  # what the code asks for ...


@api.endpoint
def ping() -> dict[str, bool]:
    return {"pong": True}


app = Flask(__name__)
app.config.from_mapping(
    AJAXKIT_DEBUG=False,  # ... and what this deployment says: it wins
    AJAXKIT_MAX_BODY_SIZE=10 * 1024 * 1024,
)
AjaxKit(app, api=api)  # the config is read here, at mount time
