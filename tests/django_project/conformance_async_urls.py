"""The conformance app mounted with async views (``urls(api, asynchronous=True)``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

import ajaxkit.django
from tests.conformance.app import build_api
from tests.conformance.clients._django import NATIVES, csrf_token_view

#: The registries by mount prefix; the WebSocket tests wrap the same ones.
APIS = {"/ajax": build_api(NATIVES), "/ajax-debug": build_api(NATIVES, debug=True)}

urlpatterns: list[URLPattern | URLResolver] = [
    *(
        path(f"{prefix.strip('/')}/", include(ajaxkit.django.urls(api, asynchronous=True)))
        for prefix, api in APIS.items()
    ),
    path("csrf-token/", csrf_token_view),
]
