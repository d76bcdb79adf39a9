"""django-ajax compatibility: ``path("ajax/", include("ajaxkit.compat.django_ajax.urls"))``.

The original's names, at the same places below this package::

    from ajaxkit.compat import django_ajax as ajax        # import ajax
    ajax.endpoint.register(Category, CategoryEndpoint)     # ajax.endpoint
    from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint, BaseEndpoint
    from ajaxkit.compat.django_ajax.exceptions import AJAXError
    from ajaxkit.compat.django_ajax.decorators import login_required
    from ajaxkit.compat.django_ajax.views import EnvelopedResponse
    from ajaxkit.compat.django_ajax.signals import ajax_created, ajax_updated, ajax_deleted
    from ajaxkit.compat.django_ajax.encoders import encoder, IncludeEncoder, ExcludeEncoder

See ``docs/migrating.md`` for what is the same and what was fixed.
"""

from __future__ import annotations

from ajaxkit.compat.django_ajax.decorators import allowed_methods, login_required
from ajaxkit.compat.django_ajax.encoders import (
    DefaultEncoder,
    ExcludeEncoder,
    IncludeEncoder,
    encoder,
)
from ajaxkit.compat.django_ajax.endpoints import BaseEndpoint, ModelEndpoint, endpoint
from ajaxkit.compat.django_ajax.exceptions import AJAXError, AlreadyRegistered, NotRegistered
from ajaxkit.compat.django_ajax.profile import DjangoAjaxProfile, EnvelopedResponse
from ajaxkit.compat.django_ajax.signals import ajax_created, ajax_deleted, ajax_updated

__all__ = [
    "AJAXError",
    "AlreadyRegistered",
    "BaseEndpoint",
    "DefaultEncoder",
    "DjangoAjaxProfile",
    "EnvelopedResponse",
    "ExcludeEncoder",
    "IncludeEncoder",
    "ModelEndpoint",
    "NotRegistered",
    "ajax_created",
    "ajax_deleted",
    "ajax_updated",
    "allowed_methods",
    "encoder",
    "endpoint",
    "login_required",
]
