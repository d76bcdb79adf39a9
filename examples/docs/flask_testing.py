"""docs/flask.md, "Testing": the same endpoints through ajaxkit's client and Flask's."""

from __future__ import annotations

# --8<-- [start:testing]
from flask_login import FlaskLoginClient

from ajaxkit.testing import Client
from examples.docs.flask_app import User, api, app


def test_endpoints_without_flask() -> None:
    client = Client(api)  # no app, no server: the endpoints themselves
    assert client.get("/ajax/hello").json() == {"message": "Hello, World!"}
    assert client.post("/ajax/notes", json={"text": "hi"}).status == 401
    client.login(User("ada"))
    assert client.post("/ajax/notes", json={"text": "hi"}).status == 201


def test_through_flask() -> None:
    app.test_client_class = FlaskLoginClient
    with app.test_client(user=User("ada")) as client:
        # What a browser adds to a page's own fetch(): the CSRF policy lets it in.
        same_origin = {"Sec-Fetch-Site": "same-origin"}
        response = client.post("/ajax/notes", json={"text": "hi"}, headers=same_origin)
        assert response.get_json() == {"author": "ada", "text": "hi"}


# --8<-- [end:testing]
