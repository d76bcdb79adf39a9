"""The demo's people table: a model endpoint with validation, ETags and live updates.

``<mount>/people`` lists, creates, reads, updates (``PATCH`` with
``If-Match``) and deletes (``DELETE`` with ``If-Match``) people, over
SQLAlchemy in the demo's database.  Every committed change is published to
``models/people``, so every open page updates its table; an edit made from a
stale copy gets 412.  Creating and editing require an ``Idempotency-Key``
(the browser client sends one by itself), so a POST retried after a dropped
connection creates one row, not two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Enum, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

import ajaxkit.sqlalchemy  # noqa: F401  (the SQLAlchemy repository)
from ajaxkit import Ajax, ModelEndpoint
from ajaxkit.live import Live
from examples.demo.database import Base

__all__ = ["ROLES", "SEED", "PeopleEndpoint", "Person", "register_people"]

#: The roles a person may have; anything else is a 422 on the field.
ROLES = ("engineer", "designer", "manager")

#: The people a new database starts with: (name, email, role).
SEED = (
    ("Grace Hopper", "grace@example.org", "engineer"),
    ("Margaret Hamilton", "margaret@example.org", "manager"),
    ("Susan Kare", "susan@example.org", "designer"),
    ("Ken Thompson", "ken@example.org", "engineer"),
)


class Person(Base):
    """One row of the people table."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(Enum(*ROLES, name="role", native_enum=False))
    version: Mapped[int] = mapped_column(default=1)


class PeopleEndpoint(ModelEndpoint):
    """Anyone may edit (it is a demo); every write must name the version it changes."""

    fields = ("id", "name", "email", "role", "version")
    read_only = ("version",)
    ordering = ("name",)
    version_field = "version"
    require_if_match = True
    allow_anonymous = True
    default_limit = 50


def register_people(api: Ajax, live: Live, engine: Engine) -> sessionmaker[Session]:
    """Create and seed the table in ``engine``'s database; serve it at ``<mount>/people``."""
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    with factory.begin() as session:
        if session.scalar(select(Person.id).limit(1)) is None:
            session.add_all(Person(name=n, email=e, role=r) for n, e, r in SEED)
    api.model(Person, PeopleEndpoint, resource="people", session=factory, idempotency="required")
    live.model(Person)
    return factory


def as_row(person: Person) -> dict[str, Any]:
    """A person as the endpoint shows it (for tests)."""
    return {"id": person.id, "name": person.name, "email": person.email, "role": person.role}
