"""One URL space, three frameworks: ``/ajax/``, ``/drf/``, ``/ninja/``."""

from __future__ import annotations

from django.urls import include, path

import ajaxkit.django
from bench.models.apis import ajax_api, drf_router, ninja_api

urlpatterns = [
    path("ajax/", include(ajaxkit.django.urls(ajax_api))),
    path("drf/", include(drf_router.urls)),
    path("ninja/", ninja_api.urls),
]
