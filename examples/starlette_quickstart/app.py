"""ajaxkit on Starlette.

Run from the repository root, with the virtualenv active
(``source .venv/bin/activate``; ``bash scripts/test.sh`` creates it):
``uvicorn examples.starlette_quickstart.app:app``, then open
http://127.0.0.1:8000/ajax/hello.  Creating a note needs
``Authorization: Bearer demo-token``.
"""

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware

import ajaxkit.starlette
from ajaxkit import Ajax, NotFound, ProblemProfile

# The 401 challenge names the scheme the app authenticates with (a session
# cookie by default); this one takes bearer tokens.
api = Ajax(profile=ProblemProfile(www_authenticate='Bearer realm="notes"'))


@api.endpoint
def hello(request):
    return {"message": "Hello, World!"}


# Clients authenticate with a bearer token, which no browser attaches by
# itself, so a forged cross-site request cannot carry it: no CSRF check.
@api.endpoint("notes/create", methods=["POST"], login_required=True, csrf_exempt=True)
async def create_note(request, title: str, tags: tuple[str, ...] = ()):
    return {"id": 7, "title": title, "tags": tags, "author": request.user.username}, 201


@api.endpoint("notes/{pk}")
async def get_note(request, pk: int):
    if pk != 7:
        raise NotFound(f"There is no note {pk}.")
    return {"id": 7, "title": "Buy milk"}


class DemoTokenAuth(AuthenticationBackend):
    """Demo only: one fixed token. ajaxkit uses whatever user your backend sets."""

    async def authenticate(self, conn):
        if conn.headers.get("Authorization") == "Bearer demo-token":
            return AuthCredentials(["authenticated"]), SimpleUser("demo")
        return None


app = Starlette(
    routes=[ajaxkit.starlette.mount("/ajax", api)],
    middleware=[Middleware(AuthenticationMiddleware, backend=DemoTokenAuth())],
)
