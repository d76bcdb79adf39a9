"""docs/django.md, "Async": one registry served by async views under ASGI."""

from __future__ import annotations

from django.urls import include, path

import ajaxkit.django
from examples.django_quickstart.app import api

# --8<-- [start:asgi]
urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api, asynchronous=True)))]
# --8<-- [end:asgi]
