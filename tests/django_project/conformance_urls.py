"""The conformance app mounted with sync views (``urls(api)``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

import ajaxkit.django
from tests.conformance.app import build_api
from tests.conformance.clients._django import NATIVES, csrf_token_view

urlpatterns: list[URLPattern | URLResolver] = [
    path("ajax/", include(ajaxkit.django.urls(build_api(NATIVES)))),
    path("ajax-debug/", include(ajaxkit.django.urls(build_api(NATIVES, debug=True)))),
    path("csrf-token/", csrf_token_view),
]
