"""A Django field with a database default (``db_default``, Django 5.0) is
filled by the database when a create leaves it out, as one with ``default``."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.testing import Client
from tests.models.backends import setup_django

pytestmark = pytest.mark.django


@pytest.fixture(scope="module")
def model() -> Iterator[Any]:
    setup_django()
    import django
    from django.db import connection, models

    if django.VERSION < (5, 0):
        pytest.skip("db_default came with Django 5.0")

    class Ticket(models.Model):
        title: models.CharField[str, str] = models.CharField(max_length=50)
        state: models.CharField[str, str] = models.CharField(max_length=20, db_default="open")

        class Meta:
            app_label = "catalog"

    with connection.schema_editor() as editor:
        editor.create_model(Ticket)
    try:
        yield Ticket
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Ticket)


@pytest.fixture
def client(model: Any) -> Iterator[Client]:
    api = Ajax()
    api.model(model, ModelEndpoint, resource="tickets")
    client = Client(api, mount="/ajax")
    client.login(SimpleNamespace(username="u", is_authenticated=True))
    yield client
    model.objects.all().delete()


def test_a_field_the_database_fills_may_be_left_out(client: Client) -> None:
    created = client.post("/ajax/tickets", json={"title": "Leak"})
    assert created.status == 201, created.json()
    assert created.json()["state"] == "open"
    given = client.post("/ajax/tickets", json={"title": "Fixed", "state": "closed"})
    assert given.status == 201, given.json()
    assert given.json()["state"] == "closed"
