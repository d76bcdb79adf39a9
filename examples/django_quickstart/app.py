"""A one-file Django project serving ajaxkit endpoints.

Run it from the repository root, with the virtualenv active
(``source .venv/bin/activate``; ``bash scripts/test.sh`` creates it)::

    python examples/django_quickstart/app.py migrate
    python examples/django_quickstart/app.py runserver

then ``curl localhost:8000/ajax/hello``.  To try the ``notes`` POST, get a
CSRF token from ``/ajax/csrf`` (it also sets the ``csrftoken`` cookie) and
send it back in ``X-CSRFToken``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax

if not settings.configured:  # the test suite configures Django itself
    settings.configure(
        DEBUG=True,
        SECRET_KEY="quickstart-not-secret",
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": Path(__file__).with_name("db.sqlite3"),
            }
        },
    )

# --8<-- [start:endpoints]
api = Ajax()


@api.endpoint
def hello(request):
    return {"message": "Hello, World!"}


@api.endpoint("users/search")
def search_users(request, q: str = "", limit: int = 10):
    users = get_user_model().objects.filter(username__icontains=q).order_by("username")[:limit]
    return {"results": [user.username for user in users]}


@api.endpoint
def csrf(request: HttpRequest):
    # Django's own request (by its annotation): get_token() sets the
    # csrftoken cookie; send the token back in X-CSRFToken on POSTs.
    return {"csrfToken": get_token(request)}


@api.endpoint("notes", methods=["POST"], login_required=True)
async def add_note(request, text: str):
    return {"author": request.user.username, "text": text}, 201


urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]
# --8<-- [end:endpoints]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
