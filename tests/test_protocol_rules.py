"""Every rule id of docs/protocol.md has a conformance test named after it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
RULE = re.compile(r"^- \*\*([A-Z][0-9]+)\*\*", re.MULTILINE)


def rule_ids(text: str) -> list[str]:
    """The ids of the rules ``text`` numbers (``- **S1** ...``)."""
    return RULE.findall(text)


def conformance_test_names() -> set[str]:
    """Every test function defined in tests/conformance."""
    names: set[str] = set()
    for path in (ROOT / "tests" / "conformance").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        )
    return names


TESTS = conformance_test_names()


def test_the_rules_are_found() -> None:
    ids = rule_ids(PROTOCOL)
    assert len(ids) == len(set(ids)), "a rule id is used twice"
    assert {"S1", "L1", "I1"} <= set(ids)


@pytest.mark.parametrize("rule", rule_ids(PROTOCOL))
def test_every_rule_has_a_conformance_test(rule: str) -> None:
    assert any(name.startswith(f"test_{rule}_") for name in TESTS), f"no test_{rule}_..."


def test_a_rule_without_a_test_is_seen() -> None:
    assert rule_ids("- **Z9** a rule nobody tests") == ["Z9"]
    assert not any(name.startswith("test_Z9_") for name in TESTS)
