"""``default_methods`` reaches the endpoints that named no methods, whenever it is set.

Endpoints are registered when their module is imported; a mount reads the
framework's configuration later, and ``api.configure()`` may come later
still.  Both once changed the setting and left every endpoint registered
before answering the methods it was built with.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest, RegistrationError
from ajaxkit.testing import Client


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint("notes")
    def notes() -> dict[str, bool]:
        return {"listed": True}

    @api.endpoint("notes", methods=["DELETE"])
    def clear() -> dict[str, bool]:
        return {"cleared": True}

    @api.endpoint(methods=["PUT"])
    def named(request: AjaxRequest) -> dict[str, bool]:
        return {"put": True}

    return api


def _statuses(api: Ajax, path: str) -> dict[str, int]:
    client = Client(api)
    return {m: client.request(m, path, json={}).status for m in ("GET", "POST", "PUT")}


def test_configure_after_registration_reaches_the_endpoints() -> None:
    api = _api()
    api.configure(default_methods=["GET", "PUT"])
    assert _statuses(api, "/ajax/notes") == {"GET": 200, "POST": 405, "PUT": 200}
    assert _statuses(api, "/ajax/named") == {"GET": 405, "POST": 405, "PUT": 200}
    assert Client(api).delete("/ajax/notes").json() == {"cleared": True}


def test_mounting_again_starts_from_the_code() -> None:
    api = _api()
    api.apply_config({"AJAXKIT_DEFAULT_METHODS": "GET"})
    assert _statuses(api, "/ajax/notes")["POST"] == 405
    api.apply_config({})  # another app, configured otherwise
    assert _statuses(api, "/ajax/notes") == {"GET": 200, "POST": 200, "PUT": 405}


def test_a_default_method_another_endpoint_holds_is_refused_whole() -> None:
    api = _api()
    with pytest.raises(RegistrationError, match="DELETE"):
        api.apply_config({"AJAXKIT_DEFAULT_METHODS": ["GET", "DELETE"]})
    # Nothing changed: neither the settings nor what is served.
    assert api.settings.default_methods == ("GET", "HEAD", "POST")
    assert _statuses(api, "/ajax/notes") == {"GET": 200, "POST": 200, "PUT": 405}
    assert Client(api).delete("/ajax/notes").json() == {"cleared": True}


def test_a_failed_registration_block_is_not_built_again() -> None:
    api = Ajax()
    with pytest.raises(RuntimeError), api.registering():
        api.endpoint("gone")(lambda: {})
        raise RuntimeError("the rest of the block failed")
    api.configure(default_methods=["GET"])
    assert Client(api).get("/ajax/gone").status == 404


class _Database:
    key: Hashable = "db"

    def begin(self) -> Any:
        raise AssertionError("never begun here")


def test_an_endpoint_built_again_keeps_what_it_was_registered_with() -> None:
    api = Ajax()
    database = _Database()
    databases = iter([database])  # spent by the first build
    api.add("notes", lambda: {}, transactions=databases, unbatchable="it waits")
    api.configure(default_methods=["GET", "PUT"])
    endpoint = api.router.route("notes").endpoints["PUT"]
    assert endpoint.transactions == (database,)
    assert endpoint.unbatchable == "it waits"
