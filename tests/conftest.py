"""Suite-wide setup: Django is configured from tests/django_project/settings.py.

Importing this module never requires Django; when Django is installed it is
set up at configuration time, and the test database (in-memory SQLite shared
between threads, every installed app's tables) is created once per session,
only if a collected test is marked ``django``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def pytest_configure(config: pytest.Config) -> None:
    try:
        import django
    except ImportError:  # Django-free runs of the suite
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
    django.setup()


@pytest.fixture(scope="session", autouse=True)
def django_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """The Django test database, created with ``migrate --run-syncdb``."""
    if not any(item.get_closest_marker("django") for item in request.session.items):
        yield
        return
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    # create_test_db runs migrate with run_syncdb=True, so apps without
    # migrations (the catalog) get their tables too.
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
