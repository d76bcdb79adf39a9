"""Fields whose values JSON cannot carry: bytes and files.

A record is JSON, and a ``BinaryField``'s bytes, a ``FileField``'s file or a
SQLAlchemy ``LargeBinary`` has no JSON form ajaxkit could choose for every
application (base64? a URL? a name?).  Exposing one is refused at
registration, naming the endpoint and the field.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import LargeBinary, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.exceptions import RegistrationError

TABLE = f"ajaxkit_upload_{os.getpid()}"


class Base(DeclarativeBase):
    pass


class Upload(Base):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


@pytest.fixture(params=["sqlalchemy", pytest.param("django", marks=pytest.mark.django)])
def model(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any], tuple[str, ...]]:
    """``(model, options, unshowable fields)``; registration needs no table."""
    if request.param == "sqlalchemy":
        return Upload, {"session": sessionmaker(create_engine("sqlite://"))}, ("blob",)
    from tests.models.backends import setup_django

    setup_django()
    from django.db import models

    attrs = {
        "__module__": __name__,
        "name": models.CharField(max_length=20),
        "blob": models.BinaryField(null=True),
        "doc": models.FileField(null=True, blank=True),
        "Meta": type("Meta", (), {"app_label": "catalog", "db_table": TABLE}),
    }
    django_model = type(f"DjangoUpload{os.getpid()}", (models.Model,), attrs)
    return django_model, {}, ("blob", "doc")


def test_a_field_json_cannot_carry_is_refused_when_shown(
    model: tuple[Any, dict[str, Any], tuple[str, ...]],
) -> None:
    # The row was stored, then its answer (and every read of the record: a
    # FileField's value is a FieldFile even when empty) was a 500 on an
    # unencodable value; a string written to a BinaryField failed inside
    # Django (a TypeError, a base64 error).
    cls, options, unshowable = model
    with pytest.raises(RegistrationError, match=r"UploadEndpoint: 'blob' holds bytes.*fields"):
        Ajax().model(cls, type("UploadEndpoint", (ModelEndpoint,), {}), **options)
    for name in unshowable:
        endpoint = type("UploadEndpoint", (ModelEndpoint,), {"fields": ("id", name)})
        with pytest.raises(RegistrationError, match=rf"UploadEndpoint: {name!r} holds"):
            Ajax().model(cls, endpoint, **options)
    shown = type("UploadEndpoint", (ModelEndpoint,), {"fields": ("id", "name")})
    Ajax().model(cls, shown, **options)
