"""docs/flask.md: ``@ajax`` above ``@app.route`` is refused, naming the view."""

from __future__ import annotations

import flask

from ajaxkit.flask import ajax

app = flask.Flask(__name__)


# --8<-- [start:refused]
@ajax(login_required=True)  # above the route: Flask would serve note() as written
@app.route("/notes/<int:pk>")
def note(pk: int) -> dict[str, int]:
    return {"pk": pk}


# The app's first request, to any route, raises
# RegistrationError: Flask endpoint 'note' serves examples.docs.flask_order.note
# without its @ajax wrapper, so none of ajaxkit's checks (...) run: [...]
# Put @app.route (or @blueprint.route) above @ajax; [...]
# --8<-- [end:refused]
