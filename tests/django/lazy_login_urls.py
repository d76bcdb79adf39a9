"""A urlconf that mounts a registry as it is imported, as a project's ``urls.py`` does.

``tests/django/test_lazy_login_url.py`` imports it afresh, under a
``LOGIN_URL = reverse_lazy(...)``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

api = Ajax()


@api.endpoint(login_required=True)
def private(request: AjaxRequest) -> dict[str, bool]:
    return {"private": True}


def signin(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the login page")


urlpatterns = [
    path("accounts/signin/", signin, name="lazy-signin"),
    path("ajax/", include(ajaxkit.django.urls(api))),
]
