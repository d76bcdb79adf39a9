"""Explicit settings: one frozen object passed to :class:`~ajaxkit.Ajax`.

Integrations may build it from ``django.conf.settings`` or ``app.config`` at
mount time (never at import time) with :meth:`Settings.replace`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ajaxkit.core.clock import Clock, SystemClock
from ajaxkit.core.encoding import JSONEncoder

if TYPE_CHECKING:
    from ajaxkit.core.profile import Profile
    from ajaxkit.core.steps import PolicyStep
    from ajaxkit.types import AjaxRequest

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Settings"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024


def _default_steps() -> tuple[PolicyStep[Any], ...]:
    from ajaxkit.core.steps import DEFAULT_STEPS

    return DEFAULT_STEPS


def _default_profile() -> Profile:
    from ajaxkit.core.profile import ProblemProfile

    return ProblemProfile()


@dataclass(frozen=True)
class Settings:
    """Everything an :class:`~ajaxkit.Ajax` registry can be configured with.

    Attributes:
        debug: show exception text and tracebacks in 500 responses.
        max_body_size: largest accepted request body in bytes (413 above).
        default_methods: methods an endpoint accepts when it names none.
        profile: the response format (RFC 9457 problem details by default).
        encoder: the JSON encoder; register extra types on it.
        user_loader: ``f(request) -> user`` overriding the framework's user.
        www_authenticate: the ``WWW-Authenticate`` challenge sent with 401.
        problem_type_base: when set, problem ``type`` is this + the error
            ``code``; otherwise ``about:blank``.
        clock: the time source for everything time-dependent.
        logger_name: the :mod:`logging` logger errors are reported to.
        steps: the policy steps admission runs, in order (see
            :mod:`ajaxkit.core.steps`); each reads its own registration
            options.
        secret_key: signs values handed to clients and trusted back (list
            cursors); ``None`` means a random key per process.
        openapi: serve ``<mount>/_openapi.json`` and ``<mount>/_types.d.ts``
            (see :mod:`ajaxkit.core.openapi`); ``False`` answers them 404.
    """

    debug: bool = False
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    default_methods: tuple[str, ...] = ("GET", "HEAD", "POST")
    profile: Profile = field(default_factory=_default_profile)
    encoder: JSONEncoder = field(default_factory=JSONEncoder)
    user_loader: Callable[[AjaxRequest], Any] | None = None
    www_authenticate: str = 'Session realm="ajaxkit"'
    problem_type_base: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    logger_name: str = "ajaxkit"
    steps: tuple[PolicyStep[Any], ...] = field(default_factory=_default_steps)
    secret_key: str | bytes | None = field(default=None, repr=False)
    openapi: bool = True

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (unknown names raise ``TypeError``)."""
        return dataclasses.replace(self, **changes)
