"""django-ajaxutils behaviour through Django's test client (profile 1 of issue 4)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import override_settings

from tests.compat.conftest import POSTGRES_ROUTER

pytestmark = pytest.mark.django

ERROR = "error"


@pytest.fixture
def routed(database: str) -> Iterator[str]:
    """Every query of the request (session, user, model) on ``database``."""
    routers = [] if database == "default" else [POSTGRES_ROUTER]
    with override_settings(ROOT_URLCONF="tests.compat.ajaxutils_urls", DATABASE_ROUTERS=routers):
        assert get_user_model().objects.db == database
        yield database


@pytest.fixture
def client(routed: str) -> Client:
    return Client()


@pytest.fixture
def alice(client: Client) -> Iterator[None]:
    user = User.objects.create_user("ajaxutils-alice", password="x")
    client.force_login(user)
    yield
    user.delete()


def envelope(message: str) -> dict[str, str]:
    return {"status": ERROR, "error": message}


def test_success_is_bare_json(client: Client) -> None:
    response = client.get("/ajax/check_for_some_task/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "completed", "exit_status": 0}


def test_anonymous_gets_401_not_redirect(client: Client) -> None:
    response = client.get("/ajax/some_very_private_view/")
    assert response.status_code == 401
    assert response.json() == envelope("Unauthorized")
    assert "Location" not in response


def test_login_checked_before_method(client: Client) -> None:
    response = client.get("/ajax/submit_my_data/")
    assert (response.status_code, response.json()) == (401, envelope("Unauthorized"))


def test_wrong_method_is_405_with_allow(client: Client, alice: None) -> None:
    response = client.get("/ajax/submit_my_data/")
    assert (response.status_code, response.json()) == (405, envelope("Method not allowed"))
    assert response["Allow"] == "OPTIONS, POST"


def test_logged_in_post_with_form(client: Client, alice: None) -> None:
    response = client.post("/ajax/submit_my_data/", {"value": "42"})
    assert (response.status_code, response.json()) == (200, {"saved": "42"})


def test_require_method_is_case_insensitive(client: Client) -> None:
    assert client.put("/ajax/put_only/").json() == {"put": True}
    assert client.get("/ajax/put_only/").status_code == 405


@pytest.mark.parametrize(
    ("view", "allowed", "refused"),
    [
        # The original kept one method, the last option it read: require_GET,
        # then require_POST, then require.
        ("get_and_post_flags", "post", "get"),
        ("post_flag_and_require_get", "get", "post"),
    ],
)
def test_the_last_method_option_is_the_only_method(
    client: Client, view: str, allowed: str, refused: str
) -> None:
    response = getattr(client, allowed)(f"/ajax/{view}/")
    assert (response.status_code, response.json()) == (200, {"method": allowed.upper()})
    response = getattr(client, refused)(f"/ajax/{view}/")
    assert (response.status_code, response.json()) == (405, envelope("Method not allowed"))
    assert refused.upper() not in response["Allow"]


def test_http404_is_fixed_not_found_message(client: Client) -> None:
    response = client.get("/ajax/not_found/")
    assert (response.status_code, response.json()) == (404, envelope("Not found"))


def test_error_response_becomes_envelope(client: Client) -> None:
    response = client.get("/ajax/bad_request/")
    assert (response.status_code, response.json()) == (400, envelope("My error message"))


@pytest.mark.parametrize("status", [401, 403, 404, 500])
def test_every_returned_error_response_keeps_its_own_text(client: Client, status: int) -> None:
    # The original used the response's content for any status >= 400; the
    # fixed messages are for the errors it produced itself.
    response = client.get("/ajax/returned_error/", {"status": status})
    assert (response.status_code, response.json()) == (status, envelope(f"My {status} message"))


def test_none_is_200_null_as_the_original_answered(client: Client) -> None:
    response = client.get("/ajax/nothing/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.content == b"null"


def test_tuple_sets_status(client: Client) -> None:
    response = client.get("/ajax/teapot/")
    assert (response.status_code, response.json()) == (418, {"i'm a": "teapot"})


def test_redirect_passes_through(client: Client) -> None:
    response = client.get("/ajax/redirect/")
    assert (response.status_code, response["Location"]) == (302, "/elsewhere/")


def test_exception_is_500_json_not_html(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):
        response = client.get("/ajax/boom/")
    assert response.status_code == 500
    assert response.json() == envelope("Internal server error")
    assert "secret" not in response.content.decode()


def test_permission_denied_is_403(client: Client) -> None:
    response = client.get("/ajax/denied/")
    assert (response.status_code, response.json()) == (403, envelope("Forbidden"))


def test_values_encode_predictably(client: Client) -> None:
    user = User.objects.create_user("encoded")
    pk = user.pk
    try:
        body = client.get("/ajax/values/").json()
    finally:
        user.delete()
    assert body["when"] == "2024-05-17T13:45:30+00:00"
    assert body["day"] == "2024-05-17"
    assert body["price"] == "9.90"
    assert body["tags"] == ["a", "b"]
    assert body["label"] == "Hello"
    assert body["user"]["pk"] == pk
    assert body["user"]["username"] == "encoded"
    assert body["users"] == [body["user"]]


def test_anything_with_isoformat_encodes_as_its_isoformat(client: Client) -> None:
    # The original's only encoding hook: obj.isoformat() for any object that has it.
    response = client.get("/ajax/iso_values/")
    assert (response.status_code, response.json()) == (
        200,
        {
            "moment": "2024-05-17T13:45:30+00:00",
            "aware_time": "13:45:00+00:00",
            "arrow": "2024-05-17T13:45:30+02:00",
        },
    )


def test_async_view(client: Client) -> None:
    assert client.get("/ajax/async_view/").json() == {"async": True}


def test_csrf_failure_is_403_in_envelope(routed: str) -> None:
    response = Client(enforce_csrf_checks=True).post("/ajax/post_anything/", {})
    assert response.status_code == 403
    assert response.json() == envelope("CSRF verification failed")


def test_djangos_csrf_exempt_above_the_decorator_exempts_the_view(routed: str) -> None:
    response = Client(enforce_csrf_checks=True).post("/ajax/webhook/", {})
    assert (response.status_code, response.json()) == (200, {"posted": True})
