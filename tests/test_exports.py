"""Each package's ``__all__`` is its whole public surface, declared once (STYLE.md §3).

For ``ajaxkit`` and every subpackage (integrations included, once present):
``__all__`` is sorted the way ruff's RUF022 sorts it and names exactly the
public names the package defines or imports, so nothing is exported by
accident and nothing public is missing from it.
"""

from __future__ import annotations
import __future__

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ajaxkit"


def package_names() -> list[str]:
    """``ajaxkit`` and every subpackage under src/ajaxkit, found on disk."""
    found = [init.parent.relative_to(PACKAGE.parent) for init in PACKAGE.rglob("__init__.py")]
    return sorted(".".join(path.parts) for path in found)


def public_names(module: ModuleType) -> set[str]:
    """Names a user could import from ``module`` and expect to keep working."""
    prefix = f"{module.__name__}."
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        # ``from __future__ import annotations`` and ``TYPE_CHECKING`` are
        # typing machinery, bound in the module but exporting nothing.
        and value is not __future__.annotations
        and name != "TYPE_CHECKING"
        # Importing ``pkg.sub`` binds ``sub`` on ``pkg``; that is not an export.
        and not (isinstance(value, ModuleType) and value.__name__.startswith(prefix))
    }


def isort_key(name: str) -> tuple[int, list[str | int]]:
    """RUF022's order: CONSTANTS, then Classes, then the rest; natural sort within."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    natural: list[str | int] = [
        int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)
    ]
    return kind, natural


def test_packages_are_found() -> None:
    assert {"ajaxkit", "ajaxkit.core"} <= set(package_names())


@pytest.mark.parametrize("name", package_names())
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:  # a namespace-only package: it must export nothing
        assert public_names(module) == set()
        return
    assert list(exported) == sorted(exported, key=isort_key)
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    assert set(exported) == public_names(module)


def test_isort_key_orders_like_ruff() -> None:
    names = ["json", "Ajax", "MESSAGES", "CSRFFailed", "ClientError", "x2", "x10", "A"]
    assert sorted(names, key=isort_key) == [
        "MESSAGES",
        "A",
        "Ajax",
        "CSRFFailed",
        "ClientError",
        "json",
        "x2",
        "x10",
    ]


def test_the_top_level_package_exports_model_endpoints() -> None:
    # Model endpoints are as public as plain ones: ``from ajaxkit import
    # ModelEndpoint, action`` must not need a path into the core.
    import ajaxkit
    from ajaxkit.core.models import ModelEndpoint, action

    assert {"ModelEndpoint", "action"} <= set(ajaxkit.__all__)
    assert (ajaxkit.ModelEndpoint, ajaxkit.action) == (ModelEndpoint, action)
