"""``@ajax`` views under ``ATOMIC_REQUESTS``, through Django's request handler.

Like views served by ``urls(api)`` (``tests/models/test_atomic_requests.py``),
a wrapped view runs each request in the transaction Django's settings ask
for, opened by ajaxkit inside the view: a raised error rolls it back, an
``on_commit`` hook that raises after its commit leaves the answer standing,
an async view works as a sync one does (Django alone refuses
``ATOMIC_REQUESTS`` with async views), and ``transaction.non_atomic_requests``,
above or below ``@ajax``, keeps its meaning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import AsyncClient, Client
from django.test.utils import override_settings
from django.urls import path

from ajaxkit.django import ajax
from ajaxkit.exceptions import Conflict
from tests.django_project.catalog.models import Note

pytestmark = pytest.mark.django


class Broken(RuntimeError):
    """What the application's failing hook raises."""


def _broken() -> None:
    raise Broken("the on_commit hook broke")


def _write(title: str, fail: bool, hook: bool) -> dict[str, Any]:
    Note.objects.create(title=title)
    if hook:
        transaction.on_commit(_broken)
    if fail:
        raise Conflict("Refused after writing.")
    return {"in_block": connection.in_atomic_block}


@ajax(methods=["POST"])
def write(
    request: HttpRequest, title: str, fail: bool = False, hook: bool = False
) -> dict[str, Any]:
    return _write(title, fail, hook)


@ajax(methods=["POST"])
async def awrite(request: HttpRequest, title: str, fail: bool = False) -> dict[str, Any]:
    await Note.objects.acreate(title=title)
    if fail:
        raise Conflict("Refused after writing.")
    return {"written": title}


@transaction.non_atomic_requests
@ajax(methods=["POST"])
def marked_above(
    request: HttpRequest, title: str, fail: bool = False, hook: bool = False
) -> dict[str, Any]:
    return _write(title, fail, hook)


@ajax(methods=["POST"])
@transaction.non_atomic_requests
def marked_below(
    request: HttpRequest, title: str, fail: bool = False, hook: bool = False
) -> dict[str, Any]:
    return _write(title, fail, hook)


urlpatterns = [
    path("write/", write),  # type: ignore[arg-type]
    path("awrite/", awrite),  # type: ignore[arg-type]
    path("marked-above/", marked_above),  # type: ignore[arg-type]
    path("marked-below/", marked_below),  # type: ignore[arg-type]
]


@pytest.fixture(autouse=True)
def _project() -> Iterator[None]:
    settings = connection.settings_dict
    before = settings["ATOMIC_REQUESTS"]
    settings["ATOMIC_REQUESTS"] = True
    Note.objects.all().delete()
    try:
        with override_settings(ROOT_URLCONF=__name__):
            yield
    finally:
        settings["ATOMIC_REQUESTS"] = before
        Note.objects.all().delete()


def _titles() -> list[str]:
    return sorted(Note.objects.values_list("title", flat=True))


def _post(url: str, body: dict[str, Any], *, asynchronous: bool = False) -> Any:
    if asynchronous:
        return async_to_sync(AsyncClient().post)(url, body, content_type="application/json")
    return Client().post(url, body, content_type="application/json")


def _after_commit_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "ajaxkit" and "after commit" in r.getMessage() and r.levelno >= logging.ERROR
    ]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync-client", "async-client"])
def test_a_wrapped_view_runs_in_the_requests_transaction(
    caplog: pytest.LogCaptureFixture, asynchronous: bool
) -> None:
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = _post("/write/", {"title": "kept", "hook": True}, asynchronous=asynchronous)
    assert response.status_code == 200, response.content
    assert response.json() == {"in_block": True}
    assert _titles() == ["kept"]
    (record,) = _after_commit_failures(caplog)
    assert getattr(record, "error_id", "x") in record.getMessage()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync-client", "async-client"])
def test_a_wrapped_view_that_raises_leaves_nothing_stored(asynchronous: bool) -> None:
    response = _post("/write/", {"title": "half", "fail": True}, asynchronous=asynchronous)
    assert response.status_code == 409, response.content
    assert _titles() == []


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync-client", "async-client"])
def test_an_async_wrapped_view_works_under_atomic_requests(asynchronous: bool) -> None:
    stored = _post("/awrite/", {"title": "kept"}, asynchronous=asynchronous)
    assert stored.status_code == 200, stored.content
    refused = _post("/awrite/", {"title": "half", "fail": True}, asynchronous=asynchronous)
    assert refused.status_code == 409, refused.content
    assert _titles() == ["kept"]


@pytest.mark.parametrize("url", ["/marked-above/", "/marked-below/"])
def test_a_view_marked_non_atomic_stays_so(url: str) -> None:
    response = _post(url, {"title": "kept"})
    assert response.status_code == 200, response.content
    assert response.json() == {"in_block": False}
    # Autocommit: stored at once, nothing to roll back when the view raises.
    failed = _post(url, {"title": "stays", "fail": True})
    assert failed.status_code == 409, failed.content
    assert _titles() == ["kept", "stays"]
