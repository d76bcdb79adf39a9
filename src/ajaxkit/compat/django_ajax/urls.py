"""``path("ajax/", include("ajaxkit.compat.django_ajax.urls"))``: django-ajax's URLs."""

from __future__ import annotations

from django.urls import URLPattern

from ajaxkit.compat.django_ajax.views import api
from ajaxkit.django import urls as ajaxkit_urls

__all__ = ["urlpatterns"]

urlpatterns: list[URLPattern] = ajaxkit_urls(api)
