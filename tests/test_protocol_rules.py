"""docs/protocol.md and the conformance suite name the same rules.

Every rule id (``**B7**``) has at least one conformance test named
``test_B7_…``, and every such test names a rule that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_RULE = re.compile(r"^- \*\*([A-Z][0-9]+)\*\*", re.M)
_TEST = re.compile(r"^(?:async )?def test_([A-Z][0-9]+)_", re.M)


def _rules() -> set[str]:
    return set(_RULE.findall((ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")))


def _tested() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "tests" / "conformance").glob("test_*.py"):
        found.update(_TEST.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_rule_has_a_conformance_test() -> None:
    assert sorted(_rules() - _tested()) == []


def test_every_rule_test_names_a_rule() -> None:
    assert sorted(_tested() - _rules()) == []
