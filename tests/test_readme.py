"""The README's Python code is real: every block is an example file or a marked part of one.

A ```python block must come right after a line naming its source:

    <!-- example: examples/flask_quickstart/app.py -->          the whole file
    <!-- example: examples/demo/api.py#endpoint -->            a marked excerpt

An excerpt is the text between ``# --8<-- [start:endpoint]`` and
``# --8<-- [end:endpoint]`` in the file, dedented.  The example files are
imported and exercised by their own tests, so the README cannot drift from
code that runs.  (``ruff format`` also formats the README's blocks as
top-level code, so an excerpt from inside a function should not start with
a statement followed by a decorated function: ruff wants two blank lines
there, the function body one.)
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

_MARKER = re.compile(r"<!--\s*example:\s*(?P<path>[^\s#]+)(?:#(?P<section>[\w-]+))?\s*-->")


@dataclass(frozen=True)
class Block:
    """A fenced ```python block of the README and the source it claims."""

    line: int
    code: str
    path: str | None
    section: str | None

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def python_blocks(text: str) -> list[Block]:
    """Every ```python block, with the example marker on the line before it."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```python":
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        marker = _MARKER.fullmatch(lines[index - 1].strip()) if index else None
        code = "\n".join(lines[index + 1 : end]) + "\n"
        path, section = (marker["path"], marker["section"]) if marker else (None, None)
        blocks.append(Block(index + 1, code, path, section))
        index = end + 1
    return blocks


def excerpt(source: str, section: str) -> str:
    """The dedented lines between the ``--8<--`` start and end marks of ``section``."""
    start = re.compile(rf"^\s*# --8<-- \[start:{re.escape(section)}\]\s*$", re.M)
    end = re.compile(rf"^\s*# --8<-- \[end:{re.escape(section)}\]\s*$", re.M)
    starts, ends = list(start.finditer(source)), list(end.finditer(source))
    assert len(starts) == len(ends) == 1, f"section {section!r} must be marked exactly once"
    body = source[starts[0].end() + 1 : ends[0].start()]
    return textwrap.dedent(body).strip("\n") + "\n"


def expected_code(block: Block) -> str:
    """What ``block`` must say: its file, or the marked section of it."""
    assert block.path is not None
    source = (ROOT / block.path).read_text(encoding="utf-8")
    return excerpt(source, block.section) if block.section else source


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_readme_shows_real_examples() -> None:
    assert [b for b in BLOCKS if b.path is not None], "README.md has no example blocks"


def test_every_python_block_names_its_source() -> None:
    unmarked = [str(b) for b in BLOCKS if b.path is None]
    assert unmarked == [], "put <!-- example: path[#section] --> before these blocks"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.path], ids=str)
def test_block_is_the_example_file(block: Block) -> None:
    assert (ROOT / str(block.path)).is_file(), f"{block}: no file {block.path}"
    assert block.code == expected_code(block), f"{block} differs from {block.path}"


def test_parser_and_excerpts() -> None:
    # The checks above must be able to fail: an unmarked block is found,
    # and an excerpt is exactly what lies between its marks.
    text = "<!-- example: a.py#x -->\n```python\nA\n```\n\n```python\nB\n```\n"
    assert python_blocks(text) == [Block(2, "A\n", "a.py", "x"), Block(6, "B\n", None, None)]
    source = "def f():\n    # --8<-- [start:x]\n    y = 1\n\n    return y\n    # --8<-- [end:x]\n"
    assert excerpt(source, "x") == "y = 1\n\nreturn y\n"
