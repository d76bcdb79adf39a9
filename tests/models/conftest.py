"""Fixtures: every model test runs on (SQLAlchemy, Django ORM) x (SQLite, PostgreSQL).

Test bodies talk to a ``client`` with ``get/post/put/patch/delete`` and
``login(username)`` returning responses with ``status``, ``headers`` and
``json()``: the framework-free reference client here; the framework clients
(Django, Flask, Starlette) can be swapped in without touching the bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ajaxkit.core.models import Change
from ajaxkit.testing import Client as CoreClient
from ajaxkit.testing import Response
from tests.models.backends import Backend, DjangoBackend, SQLAlchemyBackend, user
from tests.models.spec import build_api
from tests.services import require_postgres

BACKENDS = {
    "sqlalchemy-sqlite": lambda: SQLAlchemyBackend("sqlite"),
    "django-sqlite": lambda: DjangoBackend("sqlite"),
    "sqlalchemy-postgres": lambda: SQLAlchemyBackend("postgres"),
    "django-postgres": lambda: DjangoBackend("postgres"),
}


def _param(name: str) -> Any:
    marks = [pytest.mark.postgres] if name.endswith("postgres") else []
    if name.startswith("django"):
        marks.append(pytest.mark.django)
    return pytest.param(name, id=name, marks=marks)


@pytest.fixture(scope="session", params=[_param(n) for n in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param.endswith("postgres"):
        require_postgres()
    instance = BACKENDS[request.param]()
    try:
        yield instance
    finally:
        instance.close()


class ModelClient:
    """The reference client with username logins, as the framework clients have."""

    def __init__(self, api: Any) -> None:
        self.core = CoreClient(api)

    def login(self, username: str) -> None:
        self.core.login(user(username))

    def logout(self) -> None:
        self.core.logout()

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        return self.core.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def events() -> list[Change]:
    return []


@pytest.fixture
def api(backend: Backend, events: list[Change]) -> Iterator[Any]:
    backend.reset()
    yield build_api(backend, events)


@pytest.fixture
def client(api: Any) -> ModelClient:
    client = ModelClient(api)
    client.login("alice")
    return client


@pytest.fixture
def make_client(api: Any) -> Any:
    """Another client on the same app (a second user, a second thread)."""

    def make(username: str | None = None) -> ModelClient:
        client = ModelClient(api)
        if username:
            client.login(username)
        return client

    return make
