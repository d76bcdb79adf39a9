"""``urls(api)``: mount-time settings, lazy user, the body limit, reverse()."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path, reverse

import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest

pytestmark = pytest.mark.django


def _api(**settings: Any) -> Ajax:
    api = Ajax(**settings)

    @api.endpoint
    def hello(request: AjaxRequest) -> dict[str, str]:
        return {"message": "hi"}

    @api.endpoint(methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data

    return api


def test_settings_are_read_at_mount_time() -> None:
    api = _api()
    with override_settings(AJAXKIT_MAX_BODY_SIZE=10, DEBUG=True):
        ajaxkit.django.urls(api)
        assert api.settings.max_body_size == 10
        assert api.settings.debug is True
    # Leaving the override reads Django's settings again.
    assert api.settings.max_body_size == 1024 * 1024


def test_ajaxkit_debug_turns_explicit_debug_off() -> None:
    # Configuration beats code, as on Flask (docs/settings.md).
    api = _api(debug=True)
    with override_settings(AJAXKIT_DEBUG=False):
        ajaxkit.django.urls(api)
        assert api.settings.debug is False


urlpatterns: list[Any] = []


@pytest.fixture
def mount() -> Any:
    def mount(api: Ajax) -> None:
        urlpatterns[:] = [path("ajax/", include(ajaxkit.django.urls(api)))]

    with override_settings(ROOT_URLCONF=__name__):
        yield mount
    urlpatterns.clear()


def test_routes_reverse_by_name(mount: Any) -> None:
    mount(_api())
    assert reverse("ajaxkit", kwargs={"route": "hello"}) == "/ajax/hello"
    assert Client().get(reverse("ajaxkit", kwargs={"route": "hello"})).json() == {"message": "hi"}


def test_user_is_not_loaded_when_not_needed(mount: Any) -> None:
    mount(_api())
    client = Client()
    user, _ = get_user_model().objects.get_or_create(username="dave")
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/ajax/hello").status_code == 200
    assert queries.captured_queries == []


@override_settings(SESSION_COOKIE_NAME="sid")
def test_Y2_a_signed_in_answer_is_not_stored_though_the_user_is_never_loaded(mount: Any) -> None:
    # The session cookie, by its configured name, stands for the user: no
    # session read, no query, and still no-store (rule Y2).
    mount(_api())
    client = Client()
    user, _ = get_user_model().objects.get_or_create(username="dave")
    client.force_login(user)
    assert "sid" in client.cookies
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/ajax/hello")
    assert response["Cache-Control"] == "no-store"
    assert queries.captured_queries == []


@override_settings(SESSION_COOKIE_NAME="sid")
def test_Y2_only_the_configured_session_cookie_counts(mount: Any) -> None:
    mount(_api())
    response = Client().get("/ajax/hello", headers={"Cookie": "sessionid=abc"})
    assert "Cache-Control" not in response


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_ajaxkit_body_limit_is_413_problem_whatever_djangos(mount: Any) -> None:
    mount(_api(max_body_size=150))
    client = Client()
    ok = client.post("/ajax/echo", {"a": "x" * 120}, content_type="application/json")
    assert ok.status_code == 200
    response = client.post("/ajax/echo", {"a": "x" * 200}, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


class _ResetStream:
    """A ``wsgi.input`` whose client went away: every read fails, as a reset socket does."""

    def read(self, *args: Any) -> bytes:
        raise OSError("Connection reset by peer")

    readline = read


def test_body_the_client_never_finished_is_400_problem(mount: Any) -> None:
    mount(_api())
    environ: dict[str, Any] = {"wsgi.input": _ResetStream()}  # a WSGI key, not a header
    response = Client().post("/ajax/echo", data=b"{}", content_type="application/json", **environ)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
