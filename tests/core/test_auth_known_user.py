"""``login_required`` when the user is known already.

A platform that hands the user over with the request (Starlette's
``scope["user"]``) has nothing to load: the step decides at once, with no
effect for the pipeline to run.  A user still to be loaded, or a
``permission`` callable (which may do I/O), goes through the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import GeneratorType
from typing import Any

import pytest

from ajaxkit.core.platform import Platform
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import AuthStep, StepCall
from ajaxkit.exceptions import Unauthorized
from ajaxkit.types import UNLOADED, AjaxRequest, Headers, MultiDict


@dataclass
class _User:
    id: int
    is_authenticated: bool = True


def _call(user: Any) -> StepCall:
    request = AjaxRequest(
        method="GET", path="/ajax/e", route="e", headers=Headers(), query=MultiDict(), user=user
    )
    return StepCall(request, Settings(), Platform(name="test"))


def _login_required(**options: Any) -> Any:
    config = AuthStep().configure("e", {"login_required": True, **options})
    assert config is not None
    return config


def test_a_known_user_passes_at_once() -> None:
    assert AuthStep().admit(_call(_User(1)), _login_required()) is None


def test_a_known_anonymous_user_is_refused_at_once() -> None:
    with pytest.raises(Unauthorized):
        AuthStep().admit(_call(None), _login_required())


def test_a_user_still_to_be_loaded_or_a_permission_goes_through_the_pipeline() -> None:
    unloaded = _call(UNLOADED)
    unloaded.request.use_user_loader(lambda: _User(2))
    assert isinstance(AuthStep().admit(unloaded, _login_required()), GeneratorType)
    with_permission = _login_required(permission=lambda request: True)
    assert isinstance(AuthStep().admit(_call(_User(1)), with_permission), GeneratorType)
