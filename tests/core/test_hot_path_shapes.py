"""The values every guarded request reads keep CPython's attribute reads specialised.

CPython 3.11 specialises an attribute read for a plain instance attribute
or a slot, not for a named tuple's field, and for none at all on an
instance whose ``__dict__`` was made (which reading a
``functools.cached_property`` does).  Each unspecialised read cost a
request ~50-200 instructions; these values are read several times on every
CSRF-checked or rate-limited request, so their shape is held here.
"""

from __future__ import annotations

import functools

import pytest

from ajaxkit.core.csrf import CsrfPolicy
from ajaxkit.core.ratelimit import RateLimitConfig, RateLimitStep, _Window


@pytest.mark.parametrize("cls", [CsrfPolicy, RateLimitConfig])
def test_no_cached_properties_on_per_request_values(cls: type) -> None:
    cached = [
        name
        for klass in cls.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, functools.cached_property)
    ]
    assert cached == [], f"{cls.__name__}: {cached}"


def test_rate_limit_window_is_a_slots_class() -> None:
    assert "__slots__" in vars(_Window)
    assert not issubclass(_Window, tuple)


def test_derived_values_are_made_at_construction() -> None:
    policy = CsrfPolicy(header_names=("X-A", "X-B"), token_max_age=60)
    assert policy.fallback_headers == ("origin", "cookie", "X-A")
    assert policy.fallback_headers_https == ("origin", "cookie", "X-A", "referer")
    assert CsrfPolicy(header_names=()).fallback_headers == ("origin", "cookie", "origin")
    # Derived values take no part in equality, hashing or the repr.
    assert policy == CsrfPolicy(header_names=("X-A", "X-B"), token_max_age=60)
    assert "fallback" not in repr(policy)

    config = RateLimitStep().configure("e", {"rate": ["10/second", "100/hour"]})
    assert config is not None
    assert config.policy == '"10/second";q=10;w=1, "100/hour";q=100;w=3600'
    assert config.policy_header == ("RateLimit-Policy", config.policy)
    assert [w.limit for w in config.windows] == list(config.limits)
    assert config == RateLimitStep().configure("e", {"rate": ["10/second", "100/hour"]})


def test_a_bound_step_carries_its_steps_completes() -> None:
    from ajaxkit.core.idempotency import IdempotencyStep
    from ajaxkit.core.steps import BoundStep, CsrfStep

    assert BoundStep(CsrfStep(), "check").completes is False
    assert IdempotencyStep.completes is True
    step = IdempotencyStep()
    config = step.configure("e", {})
    assert config is not None
    assert BoundStep(step, config).completes is True
