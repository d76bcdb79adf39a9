from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "tests.django_project.catalog"
    label = "catalog"
