"""One bad value reads the same whether a plain or a model endpoint caught it.

Handler parameters, model writes and model list filters all hand pydantic's
errors to :func:`ajaxkit.core.fielderrors.field_errors`; these tests pin that
a client sees one wording and one code for one mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from ajaxkit import Ajax, AjaxRequest, ModelEndpoint
from ajaxkit.testing import Client


class _Base(DeclarativeBase):
    pass


class Gauge(_Base):
    __tablename__ = "fielderrors_gauge"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int]


class Open(ModelEndpoint):
    allow_anonymous = True
    filter_fields = ("level",)


@pytest.fixture
def client() -> Iterator[Client]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    _Base.metadata.create_all(engine)
    api = Ajax()
    api.model(Gauge, Open, session=sessionmaker(engine), resource="gauges")

    @api.endpoint("plain", methods=["GET", "POST"])
    def plain(request: AjaxRequest, level: int) -> dict[str, int]:
        return {"level": level}

    yield Client(api)
    engine.dispose()


def _first_error(body: dict[str, Any]) -> dict[str, Any]:
    errors: list[dict[str, Any]] = body["errors"]
    return errors[0]


def test_a_bad_query_value_reads_the_same_on_plain_and_model_endpoints(client: Client) -> None:
    plain = client.get("/ajax/plain", params={"level": "high"})
    model = client.get("/ajax/gauges", params={"level": "high"})
    assert (plain.status, model.status) == (422, 400)  # a parameter vs a list filter
    assert _first_error(model.json()) == _first_error(plain.json())
    assert _first_error(model.json())["code"] == "int_parsing"
    assert "'high'" in model.json()["detail"]


def test_a_bad_body_value_reads_the_same_on_plain_and_model_endpoints(client: Client) -> None:
    plain = client.post("/ajax/plain", json={"level": "high"})
    model = client.post("/ajax/gauges", json={"level": "high"})
    assert plain.status == model.status == 422
    assert _first_error(model.json()) == _first_error(plain.json())
    assert _first_error(plain.json()) == {
        "pointer": "#/level",
        "detail": "Input should be a valid integer, unable to parse string as an integer",
        "code": "int_parsing",
    }


def test_a_repeated_parameter_names_the_bad_item(client: Client) -> None:
    api = Ajax()

    @api.endpoint
    def tagged(request: AjaxRequest, ids: list[int]) -> list[int]:
        return ids

    response = Client(api).get("/ajax/tagged", params=[("ids", "1"), ("ids", "x")])
    assert _first_error(response.json()) == {
        "parameter": "ids",
        "detail": "Input should be a valid integer, unable to parse string as an integer "
        "(at item 1)",
        "code": "int_parsing",
    }
