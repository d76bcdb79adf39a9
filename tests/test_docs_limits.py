"""docs/limits.md: its examples are the file run here, and they behave as it says."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from ajaxkit.testing import Client
from examples.limits import app as example
from tests.test_readme import Block, expected_code, python_blocks

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("block", python_blocks(PAGE), ids=lambda b: f"limits.md:{b.line}")
def test_every_block_is_an_example_file(block: Block) -> None:
    assert block.path, "mark the block with <!-- example: path -->"
    assert block.code == expected_code(block)


def test_the_example_limits_and_replays() -> None:
    client = Client(example.api)
    proxied = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250}"}
    statuses = [
        client.post("/ajax/signup", json={"email": "a@b.c"}, headers=proxied).status
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    client.login(SimpleNamespace(username="ann"))
    assert client.post("/ajax/payments", json={"amount": 5}).status == 400
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    first = client.post("/ajax/payments", json={"amount": 5}, headers=key)
    again = client.post("/ajax/payments", json={"amount": 5}, headers=key)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
