"""docs/flask.md: ajaxkit on Flask with Flask-Login, an async handler and Flask's request."""

from __future__ import annotations

from typing import Any

import flask
from flask_login import LoginManager, UserMixin

import ajaxkit.flask
from ajaxkit import Ajax, AjaxRequest

USERS = {"ada", "alan"}

# --8<-- [start:app]
api = Ajax()


@api.endpoint
def hello(request: AjaxRequest) -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.endpoint("notes", methods=["POST"], login_required=True)
async def add_note(request: AjaxRequest, text: str) -> tuple[dict[str, Any], int]:
    return {"author": request.user.id, "text": text}, 201


@api.endpoint("agent")
def agent(req: flask.Request) -> dict[str, str]:
    # Annotated with Flask's request class, so it receives flask.request.
    return {"agent": req.headers.get("User-Agent", "")}


app = flask.Flask(__name__)
app.config["SECRET_KEY"] = "change-me"
app.register_blueprint(ajaxkit.flask.blueprint(api), url_prefix="/ajax")
# --8<-- [end:app]

# --8<-- [start:login]
login_manager = LoginManager(app)


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return User(user_id) if user_id in USERS else None


# --8<-- [end:login]
