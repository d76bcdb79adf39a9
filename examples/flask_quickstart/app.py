"""ajaxkit on Flask in one file.

Run from the repository root, with the virtualenv active
(``source .venv/bin/activate``; ``bash scripts/test.sh`` creates it):
``flask --app examples/flask_quickstart/app run`` (or
``python examples/flask_quickstart/app.py``), then open
http://127.0.0.1:5000/ajax/hello or /ajax/users/search?q=a.
"""

from flask import Flask

from ajaxkit import Ajax, NotFound
from ajaxkit.flask import blueprint

USERS = [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Alan"}, {"id": 3, "name": "Grace"}]

api = Ajax()


@api.endpoint
def hello(request):
    return {"message": "Hello, World!"}


@api.endpoint("users/search")
def search(request, q: str = "", limit: int = 10) -> list[dict]:
    return [user for user in USERS if q.lower() in user["name"].lower()][:limit]


@api.endpoint("users/{pk}")
def user(request, pk: int) -> dict:
    for candidate in USERS:
        if candidate["id"] == pk:
            return candidate
    raise NotFound(f"No user {pk}.")


app = Flask(__name__)
app.register_blueprint(blueprint(api), url_prefix="/ajax")

if __name__ == "__main__":
    app.run()
