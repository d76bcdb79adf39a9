"""Rules A6, Y1-Y2 and N1-N3 of docs/protocol.md: login hints, hygiene headers, input limits."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from ajaxkit import AjaxRequest
from tests.conformance.app import LOGIN_URL, build_api
from tests.conformance.clients.base import Client
from tests.conformance.clients.reference import NATIVES
from tests.conformance.test_protocol import assert_problem

FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}


@pytest.mark.parametrize("headers", [FETCH, NAVIGATION], ids=["fetch", "navigation"])
def test_A6_401_carries_login_url(client: Client, headers: dict[str, str]) -> None:
    body = assert_problem(client.get("/ajax/whoami", headers=headers), 401, "not_authenticated")
    assert body["login_url"] == LOGIN_URL


@pytest.mark.parametrize(
    "path",
    ["/ajax/items", "/ajax/items/1", "/ajax/errors/unauthorized"],
    ids=["model-list", "model-get", "raised-by-handler"],
)
def test_A6_every_401_carries_login_url(client: Client, path: str) -> None:
    # Not only login_required: a model endpoint refusing anonymous users,
    # and a handler raising Unauthorized, send the page to the same login.
    body = assert_problem(client.get(path, headers=FETCH), 401, "not_authenticated")
    assert body["login_url"] == LOGIN_URL


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ajax/hello"),
        ("GET", "/ajax/nope"),
        ("POST", "/ajax/echo"),
        ("OPTIONS", "/ajax/hello"),
        # Hand-built AjaxResponses: the framework-free client once took
        # them for native responses and left them bare.
        ("GET", "/ajax/status/response"),
        ("GET", "/ajax/_openapi.json"),
        ("GET", "/ajax/ajaxkit.js"),
    ],
)
def test_Y1_every_response_is_nosniff(client: Client, method: str, path: str) -> None:
    response = client.request(method, path, json={"a": 1} if method == "POST" else None)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_Y2_authenticated_responses_are_not_stored(client: Client) -> None:
    assert "cache-control" not in client.get("/ajax/hello").headers
    client.login("alice")
    assert client.get("/ajax/whoami").headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ajax/hello"),
        ("GET", "/ajax/nope"),
        ("POST", "/ajax/echo"),
        ("OPTIONS", "/ajax/hello"),
    ],
)
def test_Y2_a_signed_in_answer_is_not_stored_where_nothing_reads_the_user(
    client: Client, method: str, path: str
) -> None:
    # Neither the endpoint nor the handler asks who is signed in; where the
    # user is loaded only when read, the session the request carries decides.
    client.login("alice")
    response = client.request(method, path, json={"a": 1} if method == "POST" else None)
    assert response.headers["cache-control"] == "no-store"


def _bearer(request: AjaxRequest) -> SimpleNamespace | None:
    """A ``user_loader`` knowing callers by their ``Authorization`` header."""
    scheme, _, name = request.headers.get("authorization", "").partition(" ")
    return SimpleNamespace(username=name, is_authenticated=True) if scheme == "Bearer" else None


@pytest.fixture
def by_token(client_class: type[Client]) -> Iterator[Client]:
    """The conformance app whose users come from a ``user_loader`` reading ``Authorization``."""
    client = client_class(apis={"/ajax": build_api(NATIVES, user_loader=_bearer)})
    try:
        yield client
    finally:
        client.close()


def test_Y2_an_answer_to_authorization_is_not_stored(by_token: Client) -> None:
    # A user_loader, like Django's and Flask-Login's user, is loaded only
    # when read: the Authorization header it would read stands for it.
    token = {"Authorization": "Bearer alice"}
    assert by_token.get("/ajax/hello", headers=token).headers["cache-control"] == "no-store"
    assert by_token.get("/ajax/whoami", headers=token).headers["cache-control"] == "no-store"
    assert "cache-control" not in by_token.get("/ajax/hello").headers


def test_Y2_an_anonymous_answer_is_left_to_caches(client: Client) -> None:
    # Cookies that name no session (a preference, the CSRF cookie, a name
    # that merely ends like a session cookie's) say nothing of a user.
    cookies = "theme=dark; csrftoken=abc; xsession=1; xsessionid=1; my_remember_token=1"
    response = client.get("/ajax/hello", headers={"Cookie": cookies})
    assert "cache-control" not in response.headers


def test_Y2_a_handler_cache_control_wins(client: Client) -> None:
    client.login("alice")
    response = client.get("/ajax/whoami-cached")
    assert response.headers["cache-control"] == "private, max-age=60"


def test_Y2_a_handler_cache_control_wins_over_credentials(client: Client) -> None:
    client.login("alice")
    assert client.get("/ajax/status/cached").headers["cache-control"] == "public, max-age=60"


def test_Y2_a_handler_cache_control_wins_over_a_token(by_token: Client) -> None:
    response = by_token.get("/ajax/status/cached", headers={"Authorization": "Bearer alice"})
    assert response.headers["cache-control"] == "public, max-age=60"


@pytest.fixture
def limited(client_class: type[Client]) -> Iterator[Client]:
    """The conformance app with small input limits (the defaults sit near the body limit)."""
    api = build_api(NATIVES, max_params=10, max_string_length=100, max_json_depth=8)
    client = client_class(apis={"/ajax": api})
    try:
        yield client
    finally:
        client.close()


JSON = {"Content-Type": "application/json"}


def test_N1_json_nested_too_deep_is_400(limited: Client) -> None:
    deep = b"[" * 9 + b"]" * 9
    response = limited.post("/ajax/echo", content=deep, headers=JSON)
    assert "max_json_depth" in assert_problem(response, 400, "bad_request")["detail"]
    ok = b'{"a": ' + b"[" * 7 + b"]" * 7 + b"}"
    assert limited.post("/ajax/echo", content=ok, headers=JSON).status == 200


def test_N1_default_depth_limit_is_64(client: Client) -> None:
    deep = b"[" * 65 + b"]" * 65
    assert_problem(client.post("/ajax/echo", content=deep, headers=JSON), 400, "bad_request")
    ok = b"[" * 64 + b"]" * 64
    assert client.post("/ajax/echo", content=ok, headers=JSON).status == 200


def test_N2_too_many_parameters_is_400(limited: Client) -> None:
    fields = {f"f{i}": "x" for i in range(11)}
    body = assert_problem(limited.post("/ajax/echo", data=fields), 400, "bad_request")
    assert "max_params" in body["detail"]
    assert_problem(limited.post("/ajax/echo", json=fields), 400, "bad_request")
    assert limited.post("/ajax/echo", json={f"f{i}": "x" for i in range(10)}).status == 200


def test_N2_every_part_of_a_multipart_body_counts(limited: Client) -> None:
    # File parts cost as much to read as fields: all of them count.
    files = {f"f{i}": (f"{i}.txt", b"x", "text/plain") for i in range(11)}
    response = limited.post("/ajax/echo", files=files)
    assert "max_params" in assert_problem(response, 400, "bad_request")["detail"]
    files.pop("f10")
    assert limited.post("/ajax/echo", files=files).status == 200


def test_N3_string_too_long_is_400(limited: Client) -> None:
    response = limited.post("/ajax/echo", json={"a": ["x" * 100, {"b": "y" * 101}]})
    body = assert_problem(response, 400, "bad_request")
    assert "max_string_length" in body["detail"]
    assert_problem(limited.post("/ajax/echo", data={"a": "z" * 101}), 400, "bad_request")
    assert limited.post("/ajax/echo", json={"a": ["x" * 100]}).status == 200
