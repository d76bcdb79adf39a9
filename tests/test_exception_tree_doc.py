"""The exception tree drawn in ``ajaxkit.exceptions``'s docstring is the real one.

Each class drawn under another (``├──``/``└──`` one level deeper) must be
its subclass, each top-level one must derive from none of the drawn classes
above it, and every public exception class must be drawn, with the status
and code it really has.
"""

from __future__ import annotations

import re

import ajaxkit.exceptions as exceptions

_LINE = re.compile(r"^(?P<indent>(?:[│ ] {3})*)(?:[├└]── )?(?P<name>[A-Z]\w+)(?P<rest>.*)$")
_BRANCH = re.compile(r"^(?:[│ ] {3})*[├└]── ")
_STATUS = re.compile(r"^\s*\((?P<status>\d{3}) (?P<code>\w+)\)")


def drawn_tree(doc: str) -> dict[str, str | None]:
    """Each class name in the drawing → the name of the class drawn as its parent.

    The drawing is the indented block after the docstring's ``::``.
    """
    lines = doc.split("::", 1)[1].splitlines()[1:]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for raw in lines:
        if raw.strip() and not raw.startswith("    "):
            break  # the drawing has ended
        match = _LINE.match(raw[4:])
        if match is None:
            continue
        depth = len(match["indent"]) // 4 + (1 if _BRANCH.match(raw[4:]) else 0)
        del stack[depth:]
        parents[match["name"]] = stack[-1] if stack else None
        stack.append(match["name"])
    return parents


def test_every_drawn_class_derives_from_its_drawn_parent() -> None:
    assert exceptions.__doc__ is not None
    parents = drawn_tree(exceptions.__doc__)
    assert "RegistrationError" in parents and "AjaxError" in parents
    wrong = {
        name: parent
        for name, parent in parents.items()
        if parent is not None
        and not issubclass(getattr(exceptions, name), getattr(exceptions, parent))
    }
    assert wrong == {}, "drawn under a class they do not derive from"


def test_every_public_exception_is_drawn() -> None:
    assert exceptions.__doc__ is not None
    public = {
        name
        for name in exceptions.__all__
        if isinstance(getattr(exceptions, name), type)
        and issubclass(getattr(exceptions, name), BaseException)
    }
    assert sorted(public - set(drawn_tree(exceptions.__doc__))) == []


def test_drawn_statuses_and_codes_are_the_classes() -> None:
    assert exceptions.__doc__ is not None
    for line in exceptions.__doc__.splitlines():
        match = _LINE.match(line.strip("│├└─ "))
        status = _STATUS.match(match["rest"]) if match else None
        if match and status:
            cls = getattr(exceptions, match["name"])
            assert (cls.status, cls.code) == (int(status["status"]), status["code"]), line


def test_the_parser_reads_nesting() -> None:
    doc = (
        "x::\n\n    Aa\n    ├── Bb\n    │   └── Cc (400 c)\n    └── Dd\n\n"
        "    Ee\n    └── Ff\n\nEnd Gg\n"
    )
    expected = {"Aa": None, "Bb": "Aa", "Cc": "Bb", "Dd": "Aa", "Ee": None, "Ff": "Ee"}
    assert drawn_tree(doc) == expected
