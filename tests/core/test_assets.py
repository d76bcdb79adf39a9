"""The client files' versions and entity tags."""

from __future__ import annotations

import re

from ajaxkit import Ajax
from ajaxkit.core.assets import client_files, client_version


def test_every_module_the_entry_imports_is_served() -> None:
    entry = client_files()["ajaxkit.js"].read_text(encoding="utf-8")
    imported = set(re.findall(r'from "\./(ajaxkit/\w+\.js)"', entry))
    assert imported
    assert imported <= set(client_files())
    for route in client_files():
        source = client_files()[route].read_text(encoding="utf-8")
        for name in re.findall(r'from "\./(\w+\.js)"', source):
            assert f"ajaxkit/{name}" in client_files(), f"{route} imports {name}"


def test_client_version_is_a_short_stable_hash() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", client_version())
    assert client_version() == client_version()


def test_every_registry_has_the_client_routes() -> None:
    routes = {endpoint.route for endpoint in Ajax().endpoints()}
    assert set(client_files()) <= routes
