"""URLs of the Django test project; integrations' tests mount their apps here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
