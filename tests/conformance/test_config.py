"""Settings resolve from framework configuration by one rule everywhere (docs/settings.md).

Each case mounts a registry built in code under a framework configuration,
given each framework's own way by the client, and observes the result on the
wire: ``debug`` by whether a 500 shows the exception, ``max_body_size`` by
where bodies start to get 413.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest, ConfigurationError
from ajaxkit.core.csrf import CsrfPolicy
from ajaxkit.testing import Response
from tests.conformance.clients.base import Client


def _api(**declared: Any) -> Ajax:
    api = Ajax(**declared)

    @api.endpoint
    def boom() -> None:
        raise RuntimeError("kaboom")

    @api.endpoint(methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data

    return api


def _debug_shown(client: Client) -> bool:
    response = client.get("/ajax/boom")
    assert response.status == 500
    return "exception" in response.json()


def _accepts(client: Client, size: int) -> bool:
    # {"a":"xx..."} is exactly ``size`` bytes long.
    body = b'{"a":"' + b"x" * (size - 8) + b'"}'
    headers = {"Content-Type": "application/json"}
    status = client.post("/ajax/echo", content=body, headers=headers).status
    assert status in (200, 413)
    return status == 200


DEBUG_CASES = [
    # (declared in code, configuration, debug on?)
    pytest.param({"debug": True}, {"AJAXKIT_DEBUG": False}, False, id="config-turns-code-off"),
    pytest.param({}, {"AJAXKIT": {"DEBUG": True}}, True, id="dict-turns-on"),
    pytest.param({}, {"DEBUG": True}, True, id="framework-debug-is-default"),
    pytest.param({"debug": True}, {"DEBUG": False}, True, id="code-beats-framework-debug"),
    pytest.param({}, {"DEBUG": True, "AJAXKIT_DEBUG": False}, False, id="config-beats-debug"),
    pytest.param({}, {}, False, id="ajaxkit-default"),
    # Strings, as from os.environ or a dotenv file: read by their spelling,
    # never their truthiness (bool("0") is True).
    pytest.param({}, {"DEBUG": "0"}, False, id="framework-debug-string-0"),
    pytest.param({}, {"DEBUG": "False"}, False, id="framework-debug-string-false"),
    pytest.param({}, {"DEBUG": "true"}, True, id="framework-debug-string-true"),
    pytest.param({"debug": True}, {"AJAXKIT_DEBUG": "false"}, False, id="string-turns-code-off"),
    pytest.param({}, {"AJAXKIT_DEBUG": "1"}, True, id="string-turns-on"),
]


@pytest.mark.parametrize(("declared", "config", "expected"), DEBUG_CASES)
def test_debug_resolves_by_one_rule(
    client_class: type[Client],
    declared: dict[str, Any],
    config: Mapping[str, Any],
    expected: bool,
) -> None:
    client = client_class(apis={"/ajax": _api(**declared)}, config=config)
    try:
        assert _debug_shown(client) is expected
    finally:
        client.close()


SIZE_CASES = [
    pytest.param({"max_body_size": 100}, {"AJAXKIT": {"MAX_BODY_SIZE": 40}}, 40, id="dict-wins"),
    pytest.param({"max_body_size": 100}, {"AJAXKIT_MAX_BODY_SIZE": 40}, 40, id="name-wins"),
    pytest.param({"max_body_size": 40}, {}, 40, id="code-when-unconfigured"),
    pytest.param({"max_body_size": 100}, {"AJAXKIT_MAX_BODY_SIZE": "40"}, 40, id="digits"),
]


@pytest.mark.parametrize(("declared", "config", "limit"), SIZE_CASES)
def test_max_body_size_resolves_by_one_rule(
    client_class: type[Client],
    declared: dict[str, Any],
    config: Mapping[str, Any],
    limit: int,
) -> None:
    client = client_class(apis={"/ajax": _api(**declared)}, config=config)
    try:
        assert _accepts(client, limit)
        assert not _accepts(client, limit + 1)
    finally:
        client.close()


METHODS_CASES = [
    # (declared in code, configuration, what an endpoint naming no methods answers)
    pytest.param({}, {"AJAXKIT_DEFAULT_METHODS": ["GET"]}, {"GET"}, id="name"),
    pytest.param({}, {"AJAXKIT": {"DEFAULT_METHODS": "GET,PUT"}}, {"GET", "PUT"}, id="dict"),
    pytest.param(
        {"default_methods": ["GET", "PUT"]},
        {"AJAXKIT_DEFAULT_METHODS": ["GET", "POST"]},
        {"GET", "POST"},
        id="config-beats-code",
    ),
    pytest.param({"default_methods": ["GET", "PUT"]}, {}, {"GET", "PUT"}, id="code"),
]


@pytest.mark.parametrize(("declared", "config", "answered"), METHODS_CASES)
def test_default_methods_reach_the_endpoints_registered_before_the_mount(
    client_class: type[Client],
    declared: dict[str, Any],
    config: Mapping[str, Any],
    answered: set[str],
) -> None:
    # Endpoints are registered when their module is imported, before any
    # mount reads the configuration: DEFAULT_METHODS was read and never
    # used, so AJAXKIT = {"DEFAULT_METHODS": ["GET"]} left POST answered.
    api = _api(**declared)
    api.endpoint("ping")(lambda: {"pong": True})
    client = client_class(apis={"/ajax": api}, config=config)
    try:
        statuses = {m: client.request(m, "/ajax/ping", json={}).status for m in ("POST", "PUT")}
        assert client.get("/ajax/ping").status == 200
        echo = client.post("/ajax/echo", json={"a": 1})  # it names its methods
    finally:
        client.close()
    assert statuses == {m: 200 if m in answered else 405 for m in ("POST", "PUT")}
    assert echo.status == 200


@pytest.mark.parametrize(
    ("config", "named"),
    [
        pytest.param({"AJAXKIT": {"DEBUGG": True}}, "AJAXKIT['DEBUGG']", id="unknown-in-dict"),
        pytest.param({"AJAXKIT_MAX_BODY": 10}, "AJAXKIT_MAX_BODY", id="unknown-name"),
        pytest.param({"AJAXKIT_MAX_BODY_SIZE": "10 MB"}, "AJAXKIT_MAX_BODY_SIZE", id="ill-typed"),
        pytest.param({"AJAXKIT_DEBUG": "no"}, "AJAXKIT_DEBUG", id="string-is-not-bool"),
        pytest.param({"DEBUG": "yes"}, "DEBUG must be True or False", id="framework-debug"),
        pytest.param(
            {"AJAXKIT_SECRET_KEY_FALLBACKS": ["old", ""]},
            "AJAXKIT_SECRET_KEY_FALLBACKS must be a list of non-empty strings",
            id="empty-fallback-key",
        ),
    ],
)
def test_bad_configuration_fails_at_mount_naming_the_key(
    client_class: type[Client], config: Mapping[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named.replace("[", r"\[")):
        client_class(apis={"/ajax": _api()}, config=config)


# --- the CSRF policy's configurable parts ---------------------------------------

APP = "http://app.example"
OTHER = "http://other.example"


def _posted(client: Client, headers: dict[str, str]) -> Response:
    """A POST carrying only ``headers`` (and the platform's token where it always wants one)."""
    if "csrf_token_always" in client.capabilities:
        headers = {**headers, "X-CSRFToken": client.csrf_token()}
    return client.post("/ajax/echo", json={"a": 1}, headers=headers)


def _csrf_client(
    client_class: type[Client], declared: dict[str, Any], config: Mapping[str, Any]
) -> Client:
    if "csrf" not in client_class.capabilities:
        pytest.skip(f"{client_class.name} has no 'csrf' capability")
    client = client_class(apis={"/ajax": _api(**declared)}, config=config)
    client.enforce_csrf()
    return client


ORIGIN_CASES = [
    # (declared in code, configuration, trusted, refused)
    pytest.param({}, {"AJAXKIT_CSRF_TRUSTED_ORIGINS": [APP]}, APP, OTHER, id="name"),
    pytest.param({}, {"AJAXKIT": {"CSRF_TRUSTED_ORIGINS": [APP]}}, APP, OTHER, id="dict"),
    pytest.param(
        {}, {"AJAXKIT_CSRF_TRUSTED_ORIGINS": f"{OTHER}z, {APP}"}, APP, OTHER, id="comma-separated"
    ),
    pytest.param(
        {"csrf": CsrfPolicy(trusted_origins=(OTHER,))},
        {"AJAXKIT_CSRF_TRUSTED_ORIGINS": [APP]},
        APP,
        OTHER,
        id="config-beats-code",
    ),
    pytest.param(
        {"csrf": CsrfPolicy(trusted_origins=(APP,))}, {}, APP, OTHER, id="code-when-unconfigured"
    ),
]


@pytest.mark.parametrize(("declared", "config", "trusted", "refused"), ORIGIN_CASES)
def test_csrf_trusted_origins_resolve_by_one_rule(
    client_class: type[Client],
    declared: dict[str, Any],
    config: Mapping[str, Any],
    trusted: str,
    refused: str,
) -> None:
    client = _csrf_client(client_class, declared, config)
    try:
        cross = {"Sec-Fetch-Site": "cross-site"}
        assert _posted(client, {"Origin": trusted, **cross}).status == 200
        response = _posted(client, {"Origin": refused, **cross})
        assert (response.status, response.json()["code"]) == (403, "csrf_failed")
    finally:
        client.close()


@pytest.mark.parametrize(
    ("config", "passes"),
    [
        pytest.param({"AJAXKIT_CSRF_ALLOW_SAME_SITE": True}, True, id="name-on"),
        pytest.param({"AJAXKIT": {"CSRF_ALLOW_SAME_SITE": True}}, True, id="dict-on"),
        pytest.param({"AJAXKIT_CSRF_ALLOW_SAME_SITE": "TRUE"}, True, id="string-on"),
        pytest.param({"AJAXKIT_CSRF_ALLOW_SAME_SITE": "0"}, False, id="string-off"),
        pytest.param({}, False, id="ajaxkit-default-off"),
    ],
)
def test_csrf_same_site_switch_resolves_by_one_rule(
    client_class: type[Client], config: Mapping[str, Any], passes: bool
) -> None:
    client = _csrf_client(client_class, {}, config)
    try:
        # No Origin: only the switch decides a same-site request (with an
        # untrusted Origin, Django's own origin check would refuse it anyway).
        response = _posted(client, {"Sec-Fetch-Site": "same-site"})
        assert response.status == (200 if passes else 403)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("config", "named"),
    [
        pytest.param(
            {"AJAXKIT_CSRF_TRUSTED_ORIGINS": ["app.example"]},
            "'app.example' has no scheme",
            id="no-scheme",
        ),
        pytest.param(
            {"AJAXKIT": {"CSRF_TRUSTED_ORIGINS": [APP + "/"]}},
            f"'{APP}/' has a path",
            id="trailing-slash",
        ),
        pytest.param(
            {"AJAXKIT_CSRF_TRUSTED_ORIGINS": f'["{APP}"]'}, "not a JSON list", id="a-json-string"
        ),
        pytest.param({"AJAXKIT_CSRF_ALLOW_SAME_SITE": "yes"}, "True or False", id="not-a-bool"),
    ],
)
def test_bad_csrf_configuration_fails_at_mount_naming_key_and_value(
    client_class: type[Client], config: Mapping[str, Any], named: str
) -> None:
    key = next(iter(config))
    with pytest.raises(ConfigurationError) as info:
        client_class(apis={"/ajax": _api()}, config=config)
    assert key in str(info.value)
    assert named in str(info.value)


# --- rotating the secret key -----------------------------------------------------

ROTATIONS = [
    # (the old key's configuration, the rotated one's, the new key's alone)
    pytest.param(
        {"AJAXKIT_SECRET_KEY": "old-key"},
        {"AJAXKIT_SECRET_KEY": "new-key", "AJAXKIT_SECRET_KEY_FALLBACKS": ["older", "old-key"]},
        {"AJAXKIT_SECRET_KEY": "new-key"},
        id="ajaxkit",
    ),
    pytest.param(
        {"AJAXKIT": {"SECRET_KEY": "old-key"}},
        {"AJAXKIT": {"SECRET_KEY": "new-key", "SECRET_KEY_FALLBACKS": "older,old-key"}},
        {"AJAXKIT": {"SECRET_KEY": "new-key"}},
        id="dict",
    ),
    pytest.param(
        {"SECRET_KEY": "old-key"},
        {"SECRET_KEY": "new-key", "SECRET_KEY_FALLBACKS": ["old-key"]},
        {"SECRET_KEY": "new-key"},
        id="framework",
    ),
]


def _token_client(client_class: type[Client], config: Mapping[str, Any]) -> Client:
    if "signed_csrf_token" not in client_class.capabilities:
        pytest.skip(f"{client_class.name} has no 'signed_csrf_token' capability")
    return _csrf_client(client_class, {}, config)


def _sent(client: Client, token: str) -> Response:
    """A POST with nothing but ``token``, as a client without Fetch Metadata sends it."""
    headers = {"X-CSRFToken": token, "Cookie": f"ajaxkit_csrf={token}"}
    return client.post("/ajax/echo", json={"a": 1}, headers=headers)


@pytest.mark.parametrize(("old", "rotated", "new"), ROTATIONS)
def test_tokens_signed_with_a_fallback_key_still_pass(
    client_class: type[Client],
    old: Mapping[str, Any],
    rotated: Mapping[str, Any],
    new: Mapping[str, Any],
) -> None:
    # Rotating the key without fallbacks refused every open page's token at once.
    clients = [_token_client(client_class, config) for config in (old, rotated, new)]
    try:
        before, during, after = clients
        token = before.csrf_token()
        assert _sent(during, token).status == 200
        assert _sent(after, token).status == 403  # the fallback alone let it pass
        fresh = during.csrf_token()  # signed with the current key, never a fallback
        assert _sent(after, fresh).status == 200
        assert _sent(before, fresh).status == 403
    finally:
        for client in clients:
            client.close()


def test_the_frameworks_fallbacks_follow_only_its_own_key(client_class: type[Client]) -> None:
    # SECRET_KEY_FALLBACKS are SECRET_KEY's old values, not AJAXKIT_SECRET_KEY's.
    config = {
        "AJAXKIT_SECRET_KEY": "own-key",
        "SECRET_KEY": "app-key",
        "SECRET_KEY_FALLBACKS": ["old-key"],
    }
    clients = [_token_client(client_class, c) for c in ({"SECRET_KEY": "old-key"}, config)]
    try:
        old, own = clients
        assert _sent(own, old.csrf_token()).status == 403
    finally:
        for client in clients:
            client.close()
