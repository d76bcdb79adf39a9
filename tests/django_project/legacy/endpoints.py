"""django-ajax endpoints as a project carried them, switched by import only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from os.path import join  # noqa: F401 - an imported name must not be routable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy

from ajaxkit.compat import django_ajax as ajax
from ajaxkit.compat.django_ajax.decorators import allowed_methods, login_required
from ajaxkit.compat.django_ajax.encoders import ExcludeEncoder, IncludeEncoder
from ajaxkit.compat.django_ajax.endpoints import BaseEndpoint, ModelEndpoint
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.compat.django_ajax.views import EnvelopedResponse
from tests.django_project.legacy.models import Gadget, Kind, Part, Widget


@login_required
def echo(request: Any) -> Any:
    return request.POST


def created(request: Any) -> Any:
    return {"id": 7}, 201


def nothing(request: Any) -> None:
    return None


def enveloped(request: Any) -> EnvelopedResponse:
    return EnvelopedResponse(data=[1, 2], metadata={"total": 2, "success": "not overridable"})


def fail(request: Any) -> Any:
    raise AJAXError(int(request.POST["code"]), "Custom failure.", hint="look here")


def lazy_fail(request: Any) -> Any:
    raise AJAXError(409, gettext_lazy("Translated later."), reason=gettext_lazy("Lazy too."))


def boom(request: Any) -> Any:
    raise RuntimeError("kaboom")


def denied(request: Any) -> Any:
    raise PermissionDenied("Not yours.")


def missing(request: Any) -> Any:
    raise Http404("No such gizmo.")


def bare_missing(request: Any) -> Any:
    raise Http404


def shortcut_missing(request: Any) -> Any:
    return get_object_or_404(Widget, pk=0)


def returned_error(request: Any) -> AJAXError:
    return AJAXError(409, "Returned, not raised.", slot=3)


def raw(request: Any) -> HttpResponse:
    return HttpResponse("a,b\n", content_type="text/csv")


def values(request: Any) -> Any:
    return {
        "aware": dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc),
        "naive": dt.datetime(2024, 1, 2, 3, 4, 5, 678901),
        "day": dt.date(2024, 1, 2),
        "price": Decimal("9.90"),
        "lazy": gettext_lazy("Hello"),
    }


def _private(request: Any) -> Any:
    return {"private": True}


class Helper:
    def __init__(self, request: Any) -> None:
        self.request = request


class Counter(BaseEndpoint):
    def __call__(self, request: Any) -> Any:
        return self._encode_data(Kind.objects.order_by("pk"))


counter = Counter()


class WidgetEndpoint(ModelEndpoint):
    def can_list(self, user: Any) -> bool:
        return True

    def get_queryset(self, request: Any, **kwargs: Any) -> Any:
        return Widget.objects.filter(active=True)

    def can_get(self, user: Any, record: Widget) -> bool:
        return record.title != "hidden"

    def can_delete(self, user: Any, record: Widget) -> bool:
        return record.title != "keep"

    def activate(self, request: Any) -> Any:
        record = self._get_record()
        record.active = True
        record.save()
        return {"activated": record.pk}

    def stats(self, request: Any) -> Any:
        return {"widgets": Widget.objects.count()}

    @allowed_methods("PUT")
    def put_only(self, request: Any) -> Any:
        return {"reached": True}

    def _secret(self, request: Any) -> Any:
        return {"secret": True}


class KindEndpoint(ModelEndpoint):
    max_per_page = 2

    def can_list(self, user: Any) -> bool:
        return True

    def get_queryset(self, request: Any, **kwargs: Any) -> Any:
        return Kind.objects.all()


class PartEndpoint(ModelEndpoint):
    immutable_fields = ("internal",)


@allowed_methods("POST")
def post_only(request: Any) -> Any:
    return {"reached": True}


@allowed_methods("GET")
def get_only(request: Any) -> Any:
    return {"reached": True}


class GadgetEndpoint(ModelEndpoint):
    # The original's two-argument hook, which the compatibility layer still
    # accepts (it passes modified= only to hooks that take it).
    def can_update(self, user: Any, record: Gadget) -> bool:  # type: ignore[override]
        return record.name != "frozen"


ajax.endpoint.register(Widget, WidgetEndpoint)
ajax.endpoint.register(Kind, KindEndpoint)
ajax.endpoint.register(Part, PartEndpoint)
ajax.endpoint.register(Gadget, GadgetEndpoint)
ajax.encoder.register(Part, ExcludeEncoder(["internal"]))
ajax.encoder.register(Kind, IncludeEncoder(["title"]))
