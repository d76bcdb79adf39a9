"""``rate_key="user"`` (the default) when the user is known already.

A platform that hands the user over with the request (Starlette's
``scope["user"]``) has nothing to load: the step counts at once, with no
effect for the pipeline to run (on Starlette ~14,000 instructions a
request more than counting by address, before).  A user still to be
loaded (Django, Flask-Login, a ``user_loader``) is loaded through the
pipeline, as any I/O is.  Either way the key is the same: the user's id,
or the client's address for an anonymous request.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import GeneratorType
from typing import Any

import pytest

from ajaxkit.core.ratelimit import RateLimitConfig, RateLimitStep
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import StepCall
from ajaxkit.exceptions import TooManyRequests
from ajaxkit.types import UNLOADED, AjaxRequest, Headers, MultiDict


@dataclass
class _User:
    id: int
    is_authenticated: bool = True


def _request(user: Any, address: str) -> AjaxRequest:
    return AjaxRequest(
        method="GET",
        path="/ajax/e",
        route="e",
        headers=Headers([("X-Forwarded-For", address)]),
        query=MultiDict(),
        user=user,
        client="127.0.0.1",
    )


def _admit(
    step: RateLimitStep, config: RateLimitConfig, settings: Settings, request: AjaxRequest
) -> Any:
    call = StepCall(request, settings, None)  # type: ignore[arg-type]
    return step.admit(call, config), call.response_headers


@pytest.fixture
def limited() -> tuple[RateLimitStep, RateLimitConfig, Settings]:
    step = RateLimitStep()
    config = step.configure("e", {"rate": "2/minute"})
    assert config is not None and config.key == "user"
    return step, config, Settings(trusted_proxies=1)


def test_a_known_user_is_counted_at_once_by_id(
    limited: tuple[RateLimitStep, RateLimitConfig, Settings],
) -> None:
    step, config, settings = limited
    user = _User(7)
    for address in ("203.0.113.1", "203.0.113.2"):  # one user, two addresses
        verdict, headers = _admit(step, config, settings, _request(user, address))
        assert verdict is None
        assert ("RateLimit-Policy", '"2/minute";q=2;w=60') in headers
    with pytest.raises(TooManyRequests):
        _admit(step, config, settings, _request(user, "203.0.113.3"))


def test_a_known_anonymous_user_is_counted_at_once_by_address(
    limited: tuple[RateLimitStep, RateLimitConfig, Settings],
) -> None:
    step, config, settings = limited
    for _ in range(2):
        verdict, _ = _admit(step, config, settings, _request(None, "203.0.113.1"))
        assert verdict is None
    verdict, _ = _admit(step, config, settings, _request(None, "203.0.113.2"))
    assert verdict is None  # another address, another count
    with pytest.raises(TooManyRequests):
        _admit(step, config, settings, _request(None, "203.0.113.1"))


def test_a_user_still_to_be_loaded_is_loaded_through_the_pipeline(
    limited: tuple[RateLimitStep, RateLimitConfig, Settings],
) -> None:
    step, config, settings = limited
    request = _request(UNLOADED, "203.0.113.1")
    request.use_user_loader(lambda: _User(8))
    verdict, _ = _admit(step, config, settings, request)
    assert isinstance(verdict, GeneratorType)
