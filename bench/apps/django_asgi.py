"""Django under ASGI (uvicorn): ``bench.apps.django_asgi:application``.

Raw views and ajaxkit handlers are both ``async def`` unless
``BENCH_ASGI_HANDLERS=sync`` (see :func:`bench.apps.data.asgi_handlers_async`).
"""

from __future__ import annotations

from django.core.asgi import get_asgi_application

from bench.apps import django_site
from bench.apps.data import asgi_handlers_async

django_site.configure(__name__)

urlpatterns = django_site.urlpatterns_for(async_mount=True, async_handlers=asgi_handlers_async())
application = get_asgi_application()
