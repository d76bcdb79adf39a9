"""docs/client.md shows real code: each block is an example file or says it is a fragment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "client.md"
_BLOCK = re.compile(
    r"(?:<!--\s*example:\s*(?P<path>\S+)\s*-->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S
)
_FRAGMENT = ("// fragment", "# fragment")


def _blocks() -> list[tuple[str | None, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(m["path"], m["lang"], m["code"]) for m in _BLOCK.finditer(text)]


@pytest.mark.parametrize(("path", "lang", "code"), _blocks())
def test_block_is_an_example_file_or_a_fragment(path: str | None, lang: str, code: str) -> None:
    if path is not None:
        assert code == (ROOT / path).read_text(encoding="utf-8")
    elif lang in {"js", "python"}:
        assert code.startswith(_FRAGMENT), f"unmarked {lang} block:\n{code}"


def test_the_doc_quotes_the_page_the_browser_test_runs() -> None:
    assert any(path == "examples/client_page/static/page.js" for path, _, _ in _blocks())
