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


@pytest.mark.parametrize(
    ("config", "named"),
    [
        pytest.param({"AJAXKIT": {"DEBUGG": True}}, "AJAXKIT['DEBUGG']", id="unknown-in-dict"),
        pytest.param({"AJAXKIT_MAX_BODY": 10}, "AJAXKIT_MAX_BODY", id="unknown-name"),
        pytest.param({"AJAXKIT_MAX_BODY_SIZE": "10"}, "AJAXKIT_MAX_BODY_SIZE", id="ill-typed"),
        pytest.param({"AJAXKIT_DEBUG": "no"}, "AJAXKIT_DEBUG", id="string-is-not-bool"),
    ],
)
def test_bad_configuration_fails_at_mount_naming_the_key(
    client_class: type[Client], config: Mapping[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named.replace("[", r"\[")):
        client_class(apis={"/ajax": _api()}, config=config)
