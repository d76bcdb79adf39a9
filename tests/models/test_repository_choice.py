"""How ``api.model()`` finds a repository: integrations register themselves.

The core names no ORM; the package root declares which integration module
to import the first time a model of some ORM shows up.  These tests pin what
a user relies on: no extra import, an application's own factory wins, and a
model nobody stores is a clear error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ajaxkit import Ajax, RegistrationError
from ajaxkit.core.models import repository as repositories
from ajaxkit.core.models.repository import Repository, register_repository
from ajaxkit.sqlalchemy import SQLAlchemyRepository
from tests.models import sa_models

ROOT = Path(__file__).resolve().parent.parent.parent

_FRESH_PROCESS = textwrap.dedent(
    """
    import sys

    from sqlalchemy import create_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

    import ajaxkit

    assert "ajaxkit.sqlalchemy" not in sys.modules, "imported before any model"

    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(primary_key=True)

    api = ajaxkit.Ajax()
    resource = api.model(Thing, session=sessionmaker(create_engine("sqlite://")))
    print(type(resource.repository).__name__, "ajaxkit.sqlalchemy" in sys.modules)
    print(sorted(m for m in ("django", "flask", "starlette") if m in sys.modules))
    """
)


def test_a_model_needs_no_import_of_its_integration() -> None:
    # A fresh interpreter: in this one, other tests have imported everything.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["SQLAlchemyRepository True", "[]"]


def test_an_application_factory_wins_over_the_integration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(repositories, "_FACTORIES", [])  # forget it after the test
    built: list[Any] = []

    def factory(model: Any, **options: Any) -> Repository:
        built.append(model)
        return SQLAlchemyRepository(model, options["session"])

    register_repository(lambda model: model is sa_models.Tag, factory)
    Ajax().model(sa_models.Tag, session=lambda: None)
    assert built == [sa_models.Tag]


def test_a_model_no_repository_knows_is_a_clear_error() -> None:
    class Plain:
        pass

    with pytest.raises(RegistrationError) as raised:
        Ajax().model(Plain)
    message = str(raised.value)
    assert "No repository knows how to store" in message
    assert "Plain" in message
    # What to do: import the package that registers one, or pass repository=.
    assert "register_repository" in message and "repository=" in message


def test_an_unmapped_class_of_a_known_orm_says_which_integration_was_tried() -> None:
    # A Table is SQLAlchemy's, but not a mapped class.
    with pytest.raises(
        RegistrationError, match=r"from sqlalchemy, but ajaxkit\.sqlalchemy .* does not handle it"
    ):
        Ajax().model(sa_models.note_tags)
