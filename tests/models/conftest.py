"""Fixtures: every model test runs on (SQLAlchemy, Django ORM) x (SQLite, PostgreSQL),
and through every transport of its ORM (on PostgreSQL: see ``ON_POSTGRES``).

Test bodies talk to a ``client`` with ``get/post/put/patch/delete`` and
``login(username)`` returning responses with ``status``, ``headers`` and
``json()``: the framework-free reference client here; the framework clients
(Django, Flask, Starlette) can be swapped in without touching the bodies.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ajaxkit import Ajax
from ajaxkit.core.models import Change
from tests.models.backends import Backend, DjangoBackend, SQLAlchemyBackend
from tests.models.clients import Client, MakeClient
from tests.models.spec import build_api
from tests.services import require_postgres

BACKENDS: dict[str, Callable[[], Backend]] = {
    "sqlalchemy-sqlite": lambda: SQLAlchemyBackend("sqlite"),
    "django-sqlite": lambda: DjangoBackend("sqlite"),
    "sqlalchemy-postgres": lambda: SQLAlchemyBackend("postgres"),
    "django-postgres": lambda: DjangoBackend("postgres"),
}


#: The ORM a framework is used with: Django on its ORM, the others on
#: SQLAlchemy; the framework-free reference client on both.
TRANSPORTS = {
    "django": ("reference", "django_sync", "django_async"),
    "sqlalchemy": ("reference", "flask", "starlette", "fastapi"),
}
#: The transports that also run on PostgreSQL; every transport runs on SQLite.
#: A transport hands the core a path, headers and a body, and runs the
#: handler on some thread: how it reaches the database is its ORM's
#: repository, the same under every transport, so the reference client
#: proves each database. Django's async views are the exception: their
#: queries run on a thread of their own, with a PostgreSQL connection of
#: their own and PostgreSQL's isolation between connections (SQLite's
#: in-memory test database shares one cache between threads), so they run on
#: both. The full product cost a third more model tests, on the
#: slower database, and proved nothing the crossing does not.
ON_POSTGRES = ("reference", "django_async")
COMBINATIONS = [
    (b, t)
    for b in BACKENDS
    for t in TRANSPORTS[b.partition("-")[0]]
    if b.endswith("sqlite") or t in ON_POSTGRES
]


def _param(name: str, transport: str) -> Any:
    marks = [pytest.mark.postgres] if name.endswith("postgres") else []
    framework = transport.removeprefix("django_").replace("sync", "django")
    if name.startswith("django") or transport.startswith("django"):
        marks.append(pytest.mark.django)
    if framework in ("flask", "starlette", "fastapi"):
        marks.append(getattr(pytest.mark, framework))
    return pytest.param((name, transport), id=f"{name}-{transport}", marks=marks)


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, Backend]]:
    """Backends made on first use and kept for the session (schemas are costly)."""
    made: dict[str, Backend] = {}
    yield made
    for backend in made.values():
        backend.close()


@pytest.fixture(params=[_param(b, t) for b, t in COMBINATIONS])
def combination(
    request: pytest.FixtureRequest, backends: dict[str, Backend]
) -> tuple[Backend, str]:
    name, transport = request.param
    return _backend(name, backends), transport


def _backend(name: str, backends: dict[str, Backend]) -> Backend:
    if name.endswith("postgres"):
        require_postgres()
    if name not in backends:
        backends[name] = BACKENDS[name]()
    return backends[name]


@pytest.fixture(params=[_param(b, "reference") for b in BACKENDS])
def reference_combination(
    request: pytest.FixtureRequest, backends: dict[str, Backend]
) -> tuple[Backend, str]:
    """Every backend on the reference client only: a module overrides
    ``combination`` with it where the whole matrix would cost too much
    (property tests; the model layer is the same under every transport)."""
    name, transport = request.param
    return _backend(name, backends), transport


@pytest.fixture
def backend(combination: tuple[Backend, str]) -> Backend:
    return combination[0]


def _client_class(transport: str) -> Callable[..., Client]:
    import importlib

    module = {"django_sync": "django_sync", "django_async": "django_async"}.get(
        transport, f"{transport}_client" if transport != "reference" else "reference"
    )
    classes = importlib.import_module(f"tests.conformance.clients.{module}")
    return next(
        c
        for c in vars(classes).values()
        if isinstance(c, type) and issubclass(c, Client) and getattr(c, "name", None) == transport
    )


@pytest.fixture
def events() -> list[Change]:
    return []


class _Forwarded(list[Change]):
    """The event list of a kept registry: what it records goes to ``target``,
    the list of the test it is serving."""

    def __init__(self) -> None:
        super().__init__()
        self.target: list[Change] = []

    def append(self, change: Change) -> None:
        self.target.append(change)


@pytest.fixture(scope="session")
def kept_apis() -> dict[tuple[str, str], tuple[Ajax, _Forwarded]]:
    """The spec's registry per combination, built once (see ``api``)."""
    return {}


@pytest.fixture
def api(
    request: pytest.FixtureRequest,
    combination: tuple[Backend, str],
    events: list[Change],
    kept_apis: dict[tuple[str, str], tuple[Ajax, _Forwarded]],
) -> Ajax:
    """The spec's registry on the combination's backend, its tables emptied.

    Building it costs about 20 ms, more than most model tests take, so it is
    built once per combination and kept: nothing in it outlives a test but
    the registry itself (the tables are emptied, the events go to the test's
    own list).  A test that changes the registry (``configure``, ``add``)
    names ``api`` among its arguments, and gets a registry of its own.
    """
    backend, transport = combination
    backend.reset()
    if "api" in inspect.signature(request.function).parameters:
        return build_api(backend, events)
    key = (backend.name, transport)  # one per transport: each mount resolves its settings
    if key not in kept_apis:
        forwarded = _Forwarded()
        kept_apis[key] = (build_api(backend, forwarded), forwarded)
    kept, forwarded = kept_apis[key]
    forwarded.target = events
    return kept


@pytest.fixture
def transport_client(api: Ajax, combination: tuple[Backend, str]) -> Iterator[Client]:
    """The combination's client with ``api`` mounted at ``/ajax``."""
    client = _client_class(combination[1])(apis={"/ajax": api})
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def client(transport_client: Client) -> Client:
    transport_client.login("alice")
    return transport_client


@pytest.fixture
def make_client(transport_client: Client) -> Iterator[MakeClient]:
    """Another client on the same app (a second user, a second thread).

    Each is closed after the test, as ``transport_client`` is: a client may
    hold an event loop open (Starlette's and FastAPI's do).
    """
    made: list[Client] = []

    def make(username: str | None = None) -> Client:
        client = transport_client.sibling()
        made.append(client)
        if username:
            client.login(username)
        return client

    yield make
    for client in made:
        client.close()
