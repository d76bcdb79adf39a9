"""Django views written for django-ajaxutils, switched with one import."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseRedirect,
    HttpResponseServerError,
)
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from ajaxkit.compat.ajaxutils import ajax


@ajax
def nothing(request: HttpRequest) -> None:
    return None


@ajax
def check_for_some_task(request: HttpRequest) -> dict[str, Any]:
    return {"status": "completed", "exit_status": 0}


@ajax(login_required=True)
def some_very_private_view(request: HttpRequest) -> dict[str, Any]:
    return {"data": request.user.get_username()}


@ajax(login_required=True, require_POST=True)
def submit_my_data(request: HttpRequest) -> dict[str, Any]:
    return {"saved": request.POST.get("value")}


@ajax(require="put")
def put_only(request: HttpRequest) -> dict[str, bool]:
    return {"put": True}


@ajax(require_GET=True, require_POST=True)
def get_and_post_flags(request: HttpRequest) -> dict[str, str]:
    return {"method": request.method or ""}


@ajax(require_POST=True, require="GET")
def post_flag_and_require_get(request: HttpRequest) -> dict[str, str]:
    return {"method": request.method or ""}


@ajax()
def not_found(request: HttpRequest) -> None:
    raise Http404("no such task")


@ajax()
def bad_request(request: HttpRequest) -> HttpResponseBadRequest:
    return HttpResponseBadRequest("My error message")


@ajax()
def returned_error(request: HttpRequest) -> HttpResponse:
    status = request.GET["status"]
    kinds: dict[str, type[HttpResponse]] = {
        "403": HttpResponseForbidden,
        "404": HttpResponseNotFound,
        "500": HttpResponseServerError,
    }
    text = f"My {status} message"
    return kinds[status](text) if status in kinds else HttpResponse(text, status=int(status))


@ajax()
def teapot(request: HttpRequest) -> tuple[dict[str, str], int]:
    return {"i'm a": "teapot"}, 418


@ajax()
def redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/elsewhere/")


@ajax()
def boom(request: HttpRequest) -> None:
    raise ValueError("secret detail")


@ajax()
def denied(request: HttpRequest) -> None:
    raise PermissionDenied


@ajax()
def values(request: HttpRequest) -> dict[str, Any]:
    user = get_user_model().objects.get(username="encoded")
    return {
        "when": dt.datetime(2024, 5, 17, 13, 45, 30, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 5, 17),
        "price": Decimal("9.90"),
        "tags": {"b", "a"},
        "label": gettext_lazy("Hello"),
        "user": user,
        "users": get_user_model().objects.filter(username="encoded"),
    }


class Moment(dt.datetime):
    """A datetime subclass, as pendulum's and pandas' are."""


class Arrowish:
    """Not a datetime, but with ``isoformat()``, as arrow's ``Arrow`` is."""

    def isoformat(self) -> str:
        return "2024-05-17T13:45:30+02:00"


@ajax()
def iso_values(request: HttpRequest) -> dict[str, Any]:
    return {
        "moment": Moment(2024, 5, 17, 13, 45, 30, tzinfo=dt.timezone.utc),
        "aware_time": dt.time(13, 45, tzinfo=dt.timezone.utc),
        "arrow": Arrowish(),
    }


@ajax()
async def async_view(request: HttpRequest) -> dict[str, bool]:
    await asyncio.sleep(0)
    return {"async": True}


@ajax(require_POST=True)
def post_anything(request: HttpRequest) -> dict[str, bool]:
    return {"posted": True}


@csrf_exempt  # Django's own exemption, above the profile's decorator
@ajax(require_POST=True)
def webhook(request: HttpRequest) -> dict[str, bool]:
    return {"posted": True}


urlpatterns = [
    # @ajax is typed as returning the function it decorates; Django gets the view.
    path(f"ajax/{view.__name__}/", view)  # type: ignore[arg-type]
    for view in (
        nothing,
        check_for_some_task,
        some_very_private_view,
        submit_my_data,
        put_only,
        get_and_post_flags,
        post_flag_and_require_get,
        not_found,
        bad_request,
        returned_error,
        teapot,
        redirect,
        boom,
        denied,
        values,
        iso_values,
        async_view,
        post_anything,
        webhook,
    )
]
