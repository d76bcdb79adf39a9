"""Settings shared by the three frameworks under test; only the database varies.

``BENCH_DB`` chooses ``sqlite`` (``BENCH_SQLITE_PATH``, a file) or
``postgres`` (database ``ajaxkit_bench`` on ``BENCH_PG_HOST``, created by
:mod:`bench.models.data`; nobody else's tables are touched).  The stack is
kept minimal and identical for everyone: no middleware, no authentication,
persistent connections, ``DEBUG`` off (so Django does not log queries).
"""

from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "results"
DB = os.environ.get("BENCH_DB", "sqlite")

SECRET_KEY = "ajaxkit-bench-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.models.project.urls"
WSGI_APPLICATION = "bench.models.project.wsgi.application"
INSTALLED_APPS = ["rest_framework", "bench.models.notes"]
MIDDLEWARE: list[str] = []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_DATABASES = {
    "sqlite": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_SQLITE_PATH", str(RESULTS / "models-bench.sqlite3")),
        "CONN_MAX_AGE": None,
    },
    "postgres": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_PG_NAME", "ajaxkit_bench"),
        "USER": os.environ.get("BENCH_PG_USER", "postgres"),
        "HOST": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_PG_PORT", "5432"),
        # A connection per request would measure PostgreSQL's fork, not the frameworks.
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": False,
    },
}
DATABASES = {"default": _DATABASES[DB]}

# DRF as a bench wants it: JSON only, no authentication (everyone is anonymous,
# as with ajaxkit's allow_anonymous and ninja's default), no auth app needed.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
}
