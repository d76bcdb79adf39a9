"""Django under WSGI (gunicorn, sync worker): ``bench.apps.django_wsgi:application``."""

from __future__ import annotations

from django.core.wsgi import get_wsgi_application

from bench.apps import django_site

django_site.configure(__name__)

urlpatterns = django_site.urlpatterns_for(async_mount=False, async_handlers=False)
application = get_wsgi_application()
