"""Benchmark: model endpoints (list 50 with an expanded FK, get one) on ajaxkit,
Django REST framework and django-ninja, on SQLite and PostgreSQL.

See ``bench/models/README.md``; run with ``python -m bench.models.run``.
"""
