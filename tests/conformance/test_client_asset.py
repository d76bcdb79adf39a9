"""Rules J1-J3: every mount serves the browser client, cacheably, on every framework."""

from __future__ import annotations

import re

import pytest

from ajaxkit.core.assets import client_files, client_version
from tests.conformance.clients.base import Client
from tests.conformance.test_protocol import assert_problem

MODULES = sorted(client_files())


@pytest.mark.parametrize("route", MODULES)
def test_J1_client_modules_are_served_as_javascript_with_an_etag(
    client: Client, route: str
) -> None:
    response = client.get(f"/ajax/{route}")
    assert response.status == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == client_files()[route].read_bytes()
    assert response.headers["etag"].startswith('"')
    assert response.headers["cache-control"] == "no-cache"


def test_J1_head_answers_without_a_body(client: Client) -> None:
    response = client.request("HEAD", "/ajax/ajaxkit.js")
    assert response.status == 200
    assert response.content == b""
    assert response.headers["etag"] == client.get("/ajax/ajaxkit.js").headers["etag"]


@pytest.mark.parametrize("sent", ["{etag}", 'W/{etag}, "other"', "*"])
def test_J2_if_none_match_answers_304_without_a_body(client: Client, sent: str) -> None:
    etag = client.get("/ajax/ajaxkit.js").headers["etag"]
    response = client.get("/ajax/ajaxkit.js", headers={"If-None-Match": sent.format(etag=etag)})
    assert response.status == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_J2_a_stale_etag_gets_the_file(client: Client) -> None:
    response = client.get("/ajax/ajaxkit.js", headers={"If-None-Match": '"stale"'})
    assert response.status == 200
    assert response.content


def test_J3_a_versioned_url_is_cached_for_a_year(client: Client) -> None:
    for route in MODULES:
        response = client.get(f"/ajax/{route}", params={"v": client_version()})
        assert response.status == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_J3_a_version_other_than_the_clients_own_is_never_pinned(client: Client) -> None:
    # The next release's version is known before a site deploys it: pinned
    # for a year, today's bytes would be served under it after the upgrade.
    for version in ("0.1.0", "f" * 12):
        response = client.get("/ajax/ajaxkit.js", params={"v": version})
        assert response.status == 200
        assert response.headers["cache-control"] == "no-cache"
        assert f'from "./ajaxkit/client.js?v={version}"'.encode() in response.content


def test_J3_a_versioned_module_imports_the_same_version(client: Client) -> None:
    entry = client.get("/ajax/ajaxkit.js", params={"v": "0.1.0"})
    module = client.get("/ajax/ajaxkit/client.js", params={"v": "0.1.0"})
    assert b'from "./ajaxkit/client.js?v=0.1.0"' in entry.content
    assert b'from "./errors.js?v=0.1.0"' in module.content
    assert not re.search(rb'from "\./[\w/]+\.js"', entry.content + module.content)
    assert entry.headers["etag"] != client.get("/ajax/ajaxkit.js").headers["etag"]
    again = client.get(
        "/ajax/ajaxkit.js", params={"v": "0.1.0"}, headers={"If-None-Match": entry.headers["etag"]}
    )
    assert again.status == 304


def test_J3_a_version_that_is_not_a_plain_token_is_422(client: Client) -> None:
    response = client.get("/ajax/ajaxkit.js", params={"v": '";alert(1);"'})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["parameter"] == "v"
