"""``ajaxkit.stores`` sits on the core: no framework, and only ``stores/redis.py`` imports redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_layering import (
    CORE_MAY_IMPORT,
    FORBIDDEN,
    PACKAGE,
    _is_under,
    imported_modules,
    module_name,
)

STORE_FILES = sorted((PACKAGE / "stores").rglob("*.py"))
STORES_MAY_IMPORT = (*CORE_MAY_IMPORT, "ajaxkit.stores")


@pytest.mark.parametrize("path", STORE_FILES, ids=module_name)
def test_stores_import_no_framework_and_only_the_redis_module_imports_redis(path: Path) -> None:
    names = imported_modules(path)
    forbidden = FORBIDDEN if path.name != "redis.py" else tuple(set(FORBIDDEN) - {"redis"})
    assert sorted(n for n in names if _is_under(n, forbidden)) == []
    upward = {n for n in names if n.startswith("ajaxkit.") and not _is_under(n, STORES_MAY_IMPORT)}
    assert sorted(upward) == []


def test_the_redis_store_module_is_checked() -> None:
    assert PACKAGE / "stores" / "redis.py" in STORE_FILES
