"""docs/django.md, "Testing": the quickstart through ajaxkit's client and Django's."""

from __future__ import annotations

# --8<-- [start:testing]
from django.contrib.auth.models import User
from django.test import Client as DjangoClient

from ajaxkit.testing import Client
from examples.django_quickstart.app import api


def test_endpoints_without_django_http() -> None:
    client = Client(api)  # no URLconf, no middleware: the endpoints themselves
    assert client.get("/ajax/hello").json() == {"message": "Hello, World!"}
    assert client.post("/ajax/notes", json={"text": "hi"}).status == 401
    client.login(User(username="eve"))
    assert client.post("/ajax/notes", json={"text": "hi"}).status == 201


def test_through_django() -> None:
    client = DjangoClient()  # django.test.TestCase's self.client
    client.force_login(User.objects.get_or_create(username="eve")[0])
    response = client.post("/ajax/notes", {"text": "hi"}, content_type="application/json")
    assert response.json() == {"author": "eve", "text": "hi"}


# --8<-- [end:testing]
