"""Django integration: mount an :class:`~ajaxkit.Ajax` registry or wrap a view.

::

    import ajaxkit.django
    from django.urls import include, path

    urlpatterns = [path("ajax/", include(ajaxkit.django.urls(api)))]

or, for an existing view, ``@ajaxkit.django.ajax(login_required=True)``.

Django settings read at mount time: ``AJAXKIT = {"DEBUG": ..., ...}`` (or
``AJAXKIT_<NAME>`` settings), over the registry's own, over ``DEBUG``; see
``docs/settings.md``.  CSRF is Django's own check, answered with a
403 ``csrf_failed`` problem; the user is ``request.user`` (``auser()`` in
async views), loaded only when an endpoint needs it.

WebSocket endpoints (``@api.websocket``) are served under ASGI by wrapping
Django's application, no Channels needed::

    application = ajaxkit.django.asgi(get_asgi_application(), api, prefix="/ajax/")
"""

from __future__ import annotations

from ajaxkit.django.adapter import DjangoBody, to_ajax_request, to_django_response
from ajaxkit.django.login import FetchAwareLoginMiddleware
from ajaxkit.django.platform import DJANGO_PLATFORM
from ajaxkit.django.transactions import DjangoTransactions
from ajaxkit.django.views import ajax, apply_django_settings, urls
from ajaxkit.django.websocket import WebSocketMount, asgi

__all__ = [
    "DJANGO_PLATFORM",
    "DjangoBody",
    "DjangoTransactions",
    "FetchAwareLoginMiddleware",
    "WebSocketMount",
    "ajax",
    "apply_django_settings",
    "asgi",
    "to_ajax_request",
    "to_django_response",
    "urls",
]
