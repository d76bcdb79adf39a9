"""The django-ajax mount exactly as a project writes it."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("ajax/", include("ajaxkit.compat.django_ajax.urls"))]
