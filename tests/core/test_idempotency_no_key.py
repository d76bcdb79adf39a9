"""A request without ``Idempotency-Key`` costs the idempotency step one header read.

Every POST and PATCH of an endpoint with the default ``idempotency=True``
passes the step, and most carry no key.  Such a request gets no flow for
the pipeline to run, neither when admitted nor when its answer is seen
(a generator each, ~5,000 instructions a request before); a keyed one, or
an endpoint requiring a key, behaves as before.
"""

from __future__ import annotations

from types import GeneratorType

import pytest

from ajaxkit.core.idempotency import IdempotencyConfig, IdempotencyStep
from ajaxkit.core.platform import Platform
from ajaxkit.core.settings import Settings
from ajaxkit.core.steps import StepCall
from ajaxkit.exceptions import IdempotencyKeyMissing
from ajaxkit.types import AjaxRequest, AjaxResponse, Headers, MultiDict


def _call(headers: list[tuple[str, str]]) -> StepCall:
    request = AjaxRequest(
        method="POST",
        path="/ajax/e",
        route="e",
        headers=Headers(headers),
        query=MultiDict(),
        user=None,
    )
    return StepCall(request, Settings(), Platform(name="test"))


def _config(value: object = True) -> IdempotencyConfig:
    config = IdempotencyStep().configure("e", {"idempotency": value})
    assert config is not None
    return config


def test_no_key_is_admitted_and_completed_without_a_flow() -> None:
    step, call = IdempotencyStep(), _call([])
    assert step.admit(call, _config()) is None
    response = AjaxResponse(status=201, body=b"{}")
    assert step.complete(call, _config(), response) is response


def test_a_required_key_missing_is_refused_at_once() -> None:
    with pytest.raises(IdempotencyKeyMissing):
        IdempotencyStep().admit(_call([]), _config("required"))


def test_a_key_goes_through_the_pipeline() -> None:
    verdict = IdempotencyStep().admit(_call([("Idempotency-Key", '"k1"')]), _config())
    assert isinstance(verdict, GeneratorType)
