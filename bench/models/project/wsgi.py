"""WSGI entry point for gunicorn (``bench.models.project.wsgi:application``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.models.project.settings")
application = get_wsgi_application()
