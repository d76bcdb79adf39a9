"""The layers of STYLE.md §1 hold: the core needs no web framework and no redis.

Three checks, because each misses what the others see: importing the core in
a process where the frameworks cannot be imported catches import-time
dependencies wherever they hide; scanning the source catches lazy imports
inside functions that an import alone never runs; scanning string literals
catches modules named for ``importlib`` to import later, which neither an
import nor an import statement shows.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def _is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ajaxkit"

#: What the core must run without.
FORBIDDEN = ("django", "flask", "werkzeug", "starlette", "fastapi", "redis", "sqlalchemy")
#: ajaxkit layers the core may build on (besides itself).
CORE_MAY_IMPORT = ("ajaxkit.core", "ajaxkit.exceptions", "ajaxkit.types")
#: ajaxkit's layers above the core (integrations, live, compat, testing), as found on disk.
ABOVE_CORE = tuple(
    f"ajaxkit.{path.stem}"
    for path in sorted(PACKAGE.iterdir())
    if ((path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py")
    and not path.name.startswith("_")
    and not _is_under(f"ajaxkit.{path.stem}", CORE_MAY_IMPORT)
)


def module_name(path: Path) -> str:
    """``src/ajaxkit/core/pipeline.py`` -> ``ajaxkit.core.pipeline``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_files() -> list[Path]:
    """Every source file of the core layer."""
    return [
        PACKAGE / "exceptions.py",
        PACKAGE / "types.py",
        *sorted((PACKAGE / "core").rglob("*.py")),
    ]


CORE_MODULES = [
    "ajaxkit",
    "ajaxkit.testing",
    *(module_name(path) for path in core_files()),
]

_PROBE = textwrap.dedent(
    """
    import importlib, sys

    FORBIDDEN = set(sys.argv[1].split(","))

    class Uninstalled:
        # As if the packages were not installed at all.
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in FORBIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    already = sorted(m for m in sys.modules if m.partition(".")[0] in FORBIDDEN)
    assert not already, f"loaded at start-up, before the probe: {already}"
    sys.meta_path.insert(0, Uninstalled())
    for name in FORBIDDEN:  # the probe itself must work, or this test proves nothing
        try:
            importlib.import_module(name)
        except ImportError:
            pass
        else:
            raise AssertionError(f"{name} was importable")
    for name in sys.argv[2:]:
        importlib.import_module(name)
    print("imported", len(sys.argv) - 2)
    """
)


def test_core_imports_without_frameworks_or_redis() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(FORBIDDEN), *CORE_MODULES],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(CORE_MODULES)}"


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module the file at ``path`` imports, at any depth."""
    return imports_of(path.read_text(encoding="utf-8"), module_name(path), path.name)


def imports_of(source: str, module: str, filename: str) -> set[str]:
    """Absolute names of every module ``source`` (module ``module``) imports."""
    package = module.split(".")
    if filename != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            names.add(target)
            # ``from ajaxkit import starlette`` imports a module, too.
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_core_source_never_imports_a_framework(path: Path) -> None:
    names = imported_modules(path)
    assert sorted(n for n in names if _is_under(n, FORBIDDEN)) == []
    # Only layers below: never an integration, ``live`` or a compat package.
    upward = {n for n in names if n.startswith("ajaxkit.") and not _is_under(n, CORE_MAY_IMPORT)}
    assert sorted(upward) == []


@pytest.mark.parametrize("path", [PACKAGE / "exceptions.py", PACKAGE / "types.py"], ids=module_name)
def test_bottom_layer_is_stdlib_only(path: Path) -> None:
    outside = {
        name
        for name in imported_modules(path)
        if name.partition(".")[0] not in sys.stdlib_module_names
        and not _is_under(name, ("ajaxkit", "__future__"))
    }
    assert sorted(outside) == []


def test_scanner_sees_lazy_and_relative_imports() -> None:
    # The scan must be able to fail: imports hidden in functions count, and
    # relative imports resolve against the module's package.
    source = "def f():\n    import flask\n    from . import pipeline\n    from ..live import x\n"
    names = imports_of(source, "ajaxkit.core.example", "example.py")
    assert {"flask", "ajaxkit.core.pipeline", "ajaxkit.live", "ajaxkit.live.x"} <= names


def docstrings(tree: ast.AST) -> set[int]:
    """Ids of the docstring nodes in ``tree``: prose may name what it likes."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, owners) and node.body and isinstance(node.body[0], ast.Expr):
            value = node.body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


#: A string that is nothing but a module name (``"django."``: a prefix of one).
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.?")


def import_strings(source: str, filename: str) -> set[str]:
    """String literals in ``source`` that are the name of a forbidden module
    or of one of ajaxkit's layers above the core.

    Only whole literals count: a message may tell the user which package to
    import ("import the integration, e.g. ajaxkit.flask"); the core must not
    hold the name as data to import.
    """
    tree = ast.parse(source, filename=filename)
    prose = docstrings(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            name = node.value.strip()
            if _MODULE_NAME.fullmatch(name) and _is_under(name.rstrip("."), FORBIDDEN + ABOVE_CORE):
                found.add(name)
    return found


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_core_source_names_no_framework_or_integration_in_strings(path: Path) -> None:
    # A module named as a string is imported all the same, only later:
    # ``importlib.import_module("ajaxkit.sqlalchemy")`` is an upward import.
    assert sorted(import_strings(path.read_text(encoding="utf-8"), path.name)) == []


def test_string_scanner_sees_import_strings_but_not_prose() -> None:
    source = textwrap.dedent(
        '''
        """Works with Django, see ajaxkit.django."""
        _BUILTIN = (
            ("django.", "ajaxkit.django.repository"),
            ("sqlalchemy.", "ajaxkit.sqlalchemy"),
        )
        KEY = "ajaxkit.models.unit"
        def f():
            """Mount with ajaxkit.starlette."""
            importlib.import_module("redis")
            raise TypeError("import ajaxkit.flask first")
        '''
    )
    assert import_strings(source, "example.py") == {
        "django.",
        "ajaxkit.django.repository",
        "sqlalchemy.",
        "ajaxkit.sqlalchemy",
        "redis",
    }
    assert {"ajaxkit.django", "ajaxkit.sqlalchemy", "ajaxkit.testing"} <= set(ABOVE_CORE)


LIVE_FILES = sorted((PACKAGE / "live").rglob("*.py"))
#: What ``ajaxkit.live`` may build on: the layers below it and itself.
LIVE_MAY_IMPORT = (*CORE_MAY_IMPORT, "ajaxkit.live")


@pytest.mark.parametrize("path", LIVE_FILES, ids=module_name)
def test_live_imports_no_framework_and_only_its_redis_module_imports_redis(path: Path) -> None:
    names = imported_modules(path)
    frameworks = FORBIDDEN if path.name != "redis.py" else tuple(set(FORBIDDEN) - {"redis"})
    assert sorted(n for n in names if _is_under(n, frameworks)) == []
    upward = {n for n in names if n.startswith("ajaxkit.") and not _is_under(n, LIVE_MAY_IMPORT)}
    assert sorted(upward) == []
