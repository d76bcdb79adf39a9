"""App config: a distinct label keeps the tables (``benchnotes_*``) apart from anyone else's."""

from __future__ import annotations

from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "bench.models.notes"
    label = "benchnotes"
    default_auto_field = "django.db.models.BigAutoField"
