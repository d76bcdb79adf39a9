"""The example files docs/*.md quote (examples/docs/) run and behave as the pages say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client as DjangoClient
from django.test.utils import override_settings

from ajaxkit import RegistrationError
from ajaxkit.testing import Client


@pytest.mark.flask
def test_flask_page() -> None:
    from examples.docs import flask_app, flask_testing

    flask_testing.test_endpoints_without_flask()
    flask_testing.test_through_flask()
    agent = flask_app.app.test_client().get("/ajax/agent", headers={"User-Agent": "doc"})
    assert agent.get_json() == {"agent": "doc"}


@pytest.mark.flask
def test_flask_page_wrong_decorator_order() -> None:
    from examples.docs import flask_order

    flask_order.app.testing = True  # raised to the caller, not logged as a 500
    expected = (
        "Flask endpoint 'note' serves examples.docs.flask_order.note without its"
        " @ajax wrapper, so none of ajaxkit's checks "
    )
    with pytest.raises(RegistrationError, match=re.escape(expected)):
        flask_order.app.test_client().get("/notes/1")


@pytest.fixture
def quickstart_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF="examples.django_quickstart.app"):
        yield


@pytest.mark.django
@pytest.mark.usefixtures("quickstart_urls")
def test_django_page() -> None:
    from examples.docs import django_testing

    django_testing.test_endpoints_without_django_http()
    django_testing.test_through_django()


@pytest.mark.django
def test_django_async_urls() -> None:
    with override_settings(ROOT_URLCONF="examples.docs.django_async"):
        assert DjangoClient().get("/ajax/hello").json() == {"message": "Hello, World!"}


@pytest.mark.django
def test_django_transactions_page() -> None:
    from django.db import connection

    settings = connection.settings_dict
    before = settings["ATOMIC_REQUESTS"]
    settings["ATOMIC_REQUESTS"] = True
    try:
        with override_settings(ROOT_URLCONF="examples.docs.django_transactions"):
            client = DjangoClient()
            answers = {url: client.get(url).json() for url in ("/ajax/state", "/poll/state")}
            answers["/progress/"] = client.get("/progress/").json()
    finally:
        settings["ATOMIC_REQUESTS"] = before
    assert answers == {
        "/ajax/state": {"atomic": True},
        "/poll/state": {"atomic": False},
        "/progress/": {"atomic": False},
    }


@pytest.mark.starlette
def test_starlette_page() -> None:
    from examples.docs import starlette_testing

    starlette_testing.test_endpoints_without_starlette()
    starlette_testing.test_through_starlette()


def test_uploads_example() -> None:
    from examples.docs import uploads

    uploads.test_upload()


@pytest.mark.fastapi
def test_fastapi_page() -> None:
    from examples.docs import fastapi_testing

    fastapi_testing.test_through_fastapi()


@dataclass(frozen=True)
class Person:
    username: str
    is_authenticated: bool = True


def test_models_page() -> None:
    from examples.docs.models_app import Author, SessionLocal, Tag, api

    with SessionLocal.begin() as session:
        session.add_all([Author(id=1, name="Ada"), Tag(id=1, label="idea")])
    client = Client(api)
    assert client.get("/ajax/notes").status == 401
    client.login(Person("ada"))
    created = client.post("/ajax/notes", json={"title": "Plan", "author": 1, "tags": [1]})
    assert created.status == 201, created.text
    pk = created.json()["id"]
    assert client.post(f"/ajax/notes/{pk}/publish").json()["status"] == "published"
    listed = client.get("/ajax/notes", params={"search": "pla", "status": "published"}).json()
    assert [note["id"] for note in listed["results"]] == [pk]
    refused = client.post("/ajax/notes", json={"title": "x", "owner": "ada"})
    assert refused.json()["errors"][0]["code"] == "unknown_field"
    client.login(Person("bob"))
    assert client.get(f"/ajax/notes/{pk}").status == 404  # outside bob's get_queryset


def test_models_page_plain_handler_joins_an_atomic_batch() -> None:
    from examples.docs.models_app import api

    client = Client(api)
    client.login(Person("grace"))
    assert client.post("/ajax/notes", json={"title": "Draft"}).status == 201
    retitle = {"method": "POST", "path": "notes/retitle", "body": {"old": "Draft", "new": "Final"}}
    failing = {"method": "POST", "path": "notes", "body": {"title": "x", "status": "done"}}
    undone = client.post("/ajax/_batch", json={"items": [retitle, failing], "atomic": True})
    assert undone.json()["committed"] is False
    assert [n["title"] for n in client.get("/ajax/notes").json()["results"]] == ["Draft"]
    done = client.post("/ajax/_batch", json={"items": [retitle], "atomic": True}).json()
    assert done["committed"] is True
    assert done["items"][0]["body"] == {"renamed": 1}
    assert [n["title"] for n in client.get("/ajax/notes").json()["results"]] == ["Final"]
    alone = client.post("/ajax/notes/retitle", json={"old": "Final", "new": "Alone"})
    assert alone.json() == {"renamed": 1}
    assert [n["title"] for n in client.get("/ajax/notes").json()["results"]] == ["Alone"]


def test_live_page_routes_each_owners_changes_to_their_topic() -> None:
    from examples.docs.live_models import api

    ada, bob = Client(api), Client(api)
    ada.login(Person("ada"))
    bob.login(Person("bob"))
    start = ada.get("/ajax/_live/poll", params={"topic": "notes/ada"}).json()["cursor"]
    created = ada.post("/ajax/notes", json={"title": "Routed"})
    assert created.status == 201, created.text
    polled = ada.get("/ajax/_live/poll", params={"topic": "notes/ada", "cursor": start}).json()
    [event] = polled["events"]
    assert event["topic"] == "notes/ada"
    assert event["data"]["action"] == "created"
    assert event["data"]["record"]["owner"] == "ada"
    assert event["data"]["omitted"] == []
    assert bob.get("/ajax/_live/poll", params={"topic": "notes/ada"}).status == 403
