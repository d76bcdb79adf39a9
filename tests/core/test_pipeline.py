"""Pipeline behaviour beyond the wire rules: drivers, hooks, settings."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ajaxkit import (
    Ajax,
    AjaxRequest,
    AjaxResponse,
    ConfigurationError,
    ProblemDocument,
    Settings,
    Unauthorized,
)
from ajaxkit.core.platform import Platform
from ajaxkit.core.profile import ErrorContext, ProblemProfile
from ajaxkit.testing import Client


def test_sync_and_async_drivers_give_identical_responses() -> None:
    api = Ajax()

    @api.endpoint("add", methods=["POST"])
    async def add(request: AjaxRequest, a: int, b: int = 1) -> dict[str, int]:
        return {"sum": a + b}

    client = Client(api)
    for body in ({"a": 2}, {"a": "x"}, {}):
        sync = client.post("/ajax/add", json=body)
        async_ = asyncio.run(client.arequest("POST", "/ajax/add", json=body))
        assert (sync.status, sync.content) == (async_.status, async_.content)


def test_user_loader_setting_overrides_framework_user() -> None:
    calls: list[str] = []

    def load(request: AjaxRequest) -> Any:
        calls.append(request.headers.get("x-user", ""))
        return (
            SimpleNamespace(username=request.headers["x-user"])
            if "x-user" in request.headers
            else None
        )

    api = Ajax(user_loader=load)

    @api.endpoint(login_required=True)
    def me(request: AjaxRequest) -> dict[str, str]:
        return {"name": request.user.username}

    @api.endpoint
    def public(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}

    client = Client(api)
    assert client.get("/ajax/me").status == 401
    assert client.get("/ajax/me", headers={"X-User": "ann"}).json() == {"name": "ann"}
    client.get("/ajax/public")
    assert calls == ["", "ann"], "endpoints that need no user must not load one"


def test_async_permission_is_awaited() -> None:
    api = Ajax()

    async def only_even(request: AjaxRequest) -> bool:
        return int(request.query["n"]) % 2 == 0

    @api.endpoint(permission=only_even)
    def check(request: AjaxRequest, n: int) -> dict[str, int]:
        return {"n": n}

    client = Client(api)
    client.login(SimpleNamespace(username="u"))
    assert client.get("/ajax/check", params={"n": 2}).status == 200
    assert client.get("/ajax/check", params={"n": 3}).status == 403
    assert asyncio.run(client.arequest("GET", "/ajax/check", params={"n": 3})).status == 403


def test_sync_handler_runs_in_worker_thread_under_async_driver() -> None:
    api = Ajax()
    seen: list[int] = []

    @api.endpoint
    def where(request: AjaxRequest) -> None:
        seen.append(threading.get_ident())

    asyncio.run(Client(api).arequest("GET", "/ajax/where"))
    assert seen and seen[0] != threading.get_ident()


def test_csrf_check_runs_only_for_unsafe_methods_and_not_exempt() -> None:
    checked: list[str] = []
    platform = Platform(name="t", check_csrf=lambda r, trusted, limit: checked.append(r.method))
    api = Ajax()
    api.add("a", lambda request: {}, methods=["GET", "POST"])
    api.add("b", lambda request: {}, methods=["POST"], csrf_exempt=True)
    client = Client(api, platform=platform)
    client.get("/ajax/a")
    client.post("/ajax/a")
    client.post("/ajax/b")
    assert checked == ["POST"]


def test_translated_foreign_exception_renders_as_problem() -> None:
    class Missing(Exception):
        pass

    from ajaxkit import NotFound

    platform = Platform(
        name="t", translate_exception=lambda e: NotFound(str(e)) if isinstance(e, Missing) else None
    )
    api = Ajax()

    @api.endpoint
    def gone(request: AjaxRequest) -> None:
        raise Missing("no such row")

    body = Client(api, platform=platform).get("/ajax/gone").json()
    assert (body["status"], body["detail"]) == (404, "no such row")


def test_problem_type_base_builds_type_uri() -> None:
    api = Ajax(profile=ProblemProfile(problem_type_base="https://example.test/problems/"))
    body = Client(api).get("/ajax/nope").json()
    assert body["type"] == "https://example.test/problems/not_found"


def _challenge(
    profile: ProblemProfile | None = None, raised: dict[str, str] | None = None
) -> str | None:
    """The ``WWW-Authenticate`` of a 401 under ``profile``."""
    api = Ajax() if profile is None else Ajax(profile=profile)

    @api.endpoint
    def guarded(request: AjaxRequest) -> None:
        raise Unauthorized(headers=raised or {})

    response = Client(api).get("/ajax/guarded")
    assert response.status == 401
    return response.headers.get("WWW-Authenticate")


def test_the_401_challenge_follows_the_profile() -> None:
    assert _challenge() == 'Session realm="ajaxkit"'
    assert _challenge(ProblemProfile(www_authenticate='Bearer realm="api"')) == 'Bearer realm="api"'
    assert _challenge(ProblemProfile(www_authenticate=None)) is None
    # An error that names its own challenge keeps it.
    assert _challenge(raised={"WWW-Authenticate": "Basic"}) == "Basic"


def test_profile_only_settings_are_no_longer_settings() -> None:
    # They moved onto ProblemProfile: a stale keyword fails loudly.
    with pytest.raises(ConfigurationError, match="no setting called 'www_authenticate'"):
        Ajax(www_authenticate="Bearer")


def test_a_profile_that_fails_falls_back_to_a_bare_500(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ProblemProfile):
        def render_error(self, context: ErrorContext) -> AjaxResponse:
            raise RuntimeError("broken profile")

    api = Ajax(Settings(profile=Broken()))
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = Client(api).get("/ajax/missing")
    assert response.status == 500
    assert response.json()["code"] == "internal_error"
    assert any("failed to render" in r.getMessage() for r in caplog.records)


def test_returned_ajax_response_passes_through() -> None:
    api = Ajax()
    api.add("raw", lambda request: AjaxResponse(status=299, body=b"x", headers={"X": "1"}))
    response = Client(api).get("/ajax/raw")
    assert (response.status, response.content, response.headers["x"]) == (299, b"x", "1")


def test_mutable_defaults_are_not_shared_between_requests() -> None:
    api = Ajax()

    @api.endpoint
    def grow(request: AjaxRequest, items: list[str] = []) -> list[str]:
        items.append("x")
        return items

    client = Client(api)
    assert client.get("/ajax/grow").json() == ["x"]
    assert client.get("/ajax/grow").json() == ["x"]


def test_bool_and_optional_query_parameters() -> None:
    api = Ajax()

    @api.endpoint
    def flags(request: AjaxRequest, on: bool = False, n: int | None = None) -> dict[str, Any]:
        return {"on": on, "n": n}

    client = Client(api)
    assert client.get("/ajax/flags", params={"on": "true"}).json() == {"on": True, "n": None}
    assert client.get("/ajax/flags", params={"on": "0", "n": "3"}).json() == {"on": False, "n": 3}


def test_parameter_named_like_a_model_method_binds() -> None:
    api = Ajax()

    @api.endpoint
    def shadow(request: AjaxRequest, json: str, copy: int = 0) -> dict[str, Any]:
        return {"json": json, "copy": copy}

    assert Client(api).get("/ajax/shadow", params={"json": "a"}).json() == {"json": "a", "copy": 0}


def test_user_loader_setting_applies_to_handlers_reading_request_user() -> None:
    api = Ajax(user_loader=lambda request: SimpleNamespace(username="from-setting"))

    @api.endpoint
    def who(request: AjaxRequest) -> dict[str, str]:
        return {"name": request.user.username}

    client = Client(api)
    client.login(SimpleNamespace(username="from-framework"))
    assert client.get("/ajax/who").json() == {"name": "from-setting"}
    assert asyncio.run(client.arequest("GET", "/ajax/who")).json() == {"name": "from-setting"}


def test_sync_user_loader_runs_off_the_loop_under_async_driver() -> None:
    threads: list[int] = []

    def load(request: AjaxRequest) -> Any:
        threads.append(threading.get_ident())
        return SimpleNamespace(username="u")

    api = Ajax(user_loader=load)
    api.add("me", lambda request: {}, login_required=True)
    asyncio.run(Client(api).arequest("GET", "/ajax/me"))
    assert threads and threads[0] != threading.get_ident()


class _LazyUser:
    """A user loaded on first read, refusing to load inside an event loop (as Django's)."""

    def __init__(self) -> None:
        self._loaded: SimpleNamespace | None = None

    def __getattr__(self, name: str) -> Any:
        if self._loaded is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                self._loaded = SimpleNamespace(username="ann", is_authenticated=True)
            else:
                raise RuntimeError("a user loaded inside an event loop")
        return getattr(self._loaded, name)


def test_a_lazy_user_is_loaded_before_an_async_handler_runs() -> None:
    # The permission reads nothing of the user: loading it for admission
    # must still load it, not leave a proxy for the handler's event loop.
    api = Ajax(user_loader=lambda request: _LazyUser())

    @api.endpoint(permission=lambda request: True)
    async def who(request: AjaxRequest) -> dict[str, str]:
        return {"name": request.user.username}

    client = Client(api)
    assert client.get("/ajax/who").json() == {"name": "ann"}
    assert asyncio.run(client.arequest("GET", "/ajax/who")).json() == {"name": "ann"}


def test_permission_denied_to_anonymous_is_401() -> None:
    api = Ajax()
    api.add("staff", lambda request: {}, permission=lambda request: False)
    client = Client(api)
    assert client.get("/ajax/staff").status == 401
    client.login(SimpleNamespace(username="x"))
    assert client.get("/ajax/staff").status == 403


def test_problem_document_lists_the_members_p1_requires() -> None:
    # docs/protocol.md P1 and the wire type must agree.
    assert ProblemDocument.__required_keys__ == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "code",
    }
    assert ProblemDocument.__optional_keys__ == {"errors", "exception"}
