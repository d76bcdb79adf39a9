"""Django's lazy text (``gettext_lazy``, ``reverse_lazy``) in an answer is sent as its text.

A Django project writes user-facing strings as ``gettext_lazy(...)`` at
module level (choices, messages); a handler returning one in its result
got a 500 ``encoding_failed``, where Django's ``JsonResponse`` (its
``DjangoJSONEncoder``) sends the text, translated into the request's
language.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path
from django.utils import translation
from django.utils.translation import gettext_lazy

import ajaxkit.django
from ajaxkit import Ajax
from ajaxkit.core.encoding import JSONEncoder

pytestmark = pytest.mark.django

urlpatterns: list[Any] = []

#: Translated by Django's own catalogue (django.contrib.auth is installed).
PASSWORD = gettext_lazy("password")


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint
    def label(request: object) -> dict[str, Any]:
        return {"label": PASSWORD, "labels": [PASSWORD]}

    return api


@pytest.fixture
def client() -> Iterator[Client]:
    urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(_api())))]
    with override_settings(ROOT_URLCONF=__name__):
        yield Client()
    urlpatterns.clear()


def test_a_lazy_string_is_sent_as_its_text(client: Client) -> None:
    response = client.get("/ajax/label")
    assert response.status_code == 200
    assert response.json() == {"label": "password", "labels": ["password"]}


def test_a_lazy_string_is_sent_in_the_active_language(client: Client) -> None:
    with translation.override("fr"):
        expected = str(PASSWORD)
    assert expected != "password"  # the catalogue translates it
    with translation.override("fr"):  # as LocaleMiddleware activates it
        response = client.get("/ajax/label")
    assert response.json() == {"label": expected, "labels": [expected]}


def test_any_encoder_writes_lazy_text() -> None:
    # Live publications, batch items and ETags use the encoder too.
    assert JSONEncoder().dumps({"label": PASSWORD}) == b'{"label":"password"}'
