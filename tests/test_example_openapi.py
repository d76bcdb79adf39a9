"""docs/openapi.md's examples run as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_readme import Block, expected_code, python_blocks

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from examples.openapi.app import app

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "openapi.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.fastapi


@pytest.mark.parametrize("block", python_blocks(PAGE), ids=lambda b: f"openapi.md:{b.line}")
def test_every_block_is_an_example_file(block: Block) -> None:
    assert block.path, "mark the block with <!-- example: path -->"
    assert block.code == expected_code(block)


def test_the_endpoint_answers() -> None:
    response = TestClient(app).get("/ajax/users/search", params={"q": "ad"})
    assert response.json() == [{"id": 1, "name": "Ada"}]


def test_fastapis_document_lists_it_with_its_types() -> None:
    document = TestClient(app).get("/openapi.json").json()
    search = document["paths"]["/ajax/users/search"]["get"]
    assert search["summary"] == "Users whose name contains ``q``."
    result = search["responses"]["200"]["content"]["application/json"]["schema"]
    assert result == {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
    assert "/health" in document["paths"]


def test_the_registry_serves_its_own_document_and_types() -> None:
    client = TestClient(app)
    assert client.get("/ajax/_openapi.json").json()["servers"] == [{"url": "/ajax"}]
    types = client.get("/ajax/_types.d.ts").text
    assert '"users/search": {' in types
    assert "export type User = {" in types
