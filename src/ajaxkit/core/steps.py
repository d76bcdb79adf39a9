"""Policy steps: the typed seam where admission checks plug in.

Admission runs route → method, then the endpoint's policy steps in the
order of ``Settings.steps`` (then the declared body size) — by default
:data:`DEFAULT_STEPS`, the one place that order is written:

1. :class:`CsrfStep` — before authentication: a forged request must learn
   nothing, not even whether its session is valid.
2. :class:`AuthStep` — ``login_required`` (401) and ``permission`` (403).
3. :class:`~ajaxkit.core.ratelimit.RateLimitStep` — after authentication,
   so that it keys on the user and never counts a refused request.
4. :class:`~ajaxkit.core.idempotency.IdempotencyStep` — last: a replay is
   an answer, so it must come after every check that could refuse, and
   it counts against the rate limit like the request it repeats.

A step is an object implementing :class:`PolicyStep`.  At registration each
step reads the keyword options it owns (``csrf_exempt=…``, ``login_required=…``)
into its own typed configuration; a keyword no step owns is a
:class:`~ajaxkit.exceptions.RegistrationError` naming the endpoint.  Per
request, :meth:`PolicyStep.admit` may refuse (raise an
:class:`~ajaxkit.AjaxError`), answer early (return a response: an idempotent
replay), or let the request go on (return ``None``); steps that set
``completes`` see the final response afterwards (success or error), in
reverse order, to add headers or store it.  Adding a step never means
editing the flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

from ajaxkit.core.auth import is_authenticated, warn_no_user_source
from ajaxkit.core.effects import IO, Effect, Flow, blocking, call_either
from ajaxkit.exceptions import Forbidden, RegistrationError, Unauthorized
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.endpoint import Endpoint, Permission
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = [
    "BATCH_ITEM",
    "DEFAULT_STEPS",
    "SAFE_METHODS",
    "AuthConfig",
    "AuthStep",
    "BoundStep",
    "CsrfStep",
    "PolicyStep",
    "StepCall",
    "bind_steps",
    "load_user",
]

C = TypeVar("C")

#: ``request.state`` key marking an item of a batch: the batch request as a
#: whole passed CSRF, and an item has no headers or cookies of its own.
BATCH_ITEM = "ajaxkit.batch_item"

#: Methods that must not change state, so CSRF does not apply to them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# A WebSocket handshake (the WEBSOCKET pseudo-method) carries no CSRF token
# a browser could add; what protects it is an Origin check, not this step.
_NO_CSRF = SAFE_METHODS | {"WEBSOCKET"}


class StepCall(NamedTuple):
    """What a step may know about the request it is admitting."""

    request: AjaxRequest
    endpoint: Endpoint
    settings: Settings
    platform: Platform


class PolicyStep(Protocol[C]):
    """One admission check with its own typed per-endpoint configuration ``C``.

    Attributes:
        name: a short name for docs and errors (``"csrf"``).
        options: the registration keywords this step reads.
        completes: whether :meth:`complete` must run after the answer.
    """

    name: str
    options: frozenset[str]
    completes: bool

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> C | None:
        """Validate this step's ``options`` for ``endpoint``; ``None`` turns it off there.

        Raises:
            RegistrationError: an option has the wrong type or value.
        """
        ...

    def methods(self, config: C, endpoint_methods: frozenset[str]) -> frozenset[str]:
        """Which of the endpoint's methods this step applies to."""
        ...

    def admit(self, call: StepCall, config: C) -> Flow[AjaxResponse | None]:
        """Refuse (raise), answer early (return a response) or pass (``None``)."""
        ...

    def complete(self, call: StepCall, config: C, response: AjaxResponse) -> Flow[AjaxResponse]:
        """See the final response; only called when ``completes`` is true."""
        ...


@dataclass(frozen=True)
class BoundStep(Generic[C]):
    """A step with one endpoint's configuration."""

    step: PolicyStep[C]
    config: C


def bind_steps(
    steps: Iterable[PolicyStep[Any]],
    endpoint: str,
    methods: frozenset[str],
    options: Mapping[str, Any],
) -> dict[str, tuple[BoundStep[Any], ...]]:
    """Configure ``steps`` for one endpoint: the bound steps for each of its methods.

    Built once at registration, so a request pays only for the steps that
    apply to its method (a GET of an open endpoint runs none).
    """
    steps = tuple(steps)
    owned = frozenset().union(*(step.options for step in steps))
    unknown = sorted(set(options) - owned)
    if unknown:
        raise RegistrationError(
            f"Endpoint {endpoint!r}: unknown option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(owned))}."
        )
    by_method: dict[str, list[BoundStep[Any]]] = {method: [] for method in methods}
    for step in steps:
        mine = {key: options[key] for key in step.options if key in options}
        config = step.configure(endpoint, mine)
        if config is None:
            continue
        bound = BoundStep(step, config)
        for method in step.methods(config, methods):
            by_method[method].append(bound)
    if "GET" in by_method and "HEAD" not in by_method:
        by_method["HEAD"] = by_method["GET"]  # HEAD is answered by the GET endpoint
    return {method: tuple(bound) for method, bound in by_method.items()}


class _Step:
    """Defaults shared by the built-in steps."""

    completes: bool = False

    def methods(self, config: Any, endpoint_methods: frozenset[str]) -> frozenset[str]:
        return endpoint_methods

    def complete(self, call: StepCall, config: Any, response: AjaxResponse) -> Flow[AjaxResponse]:
        return response
        yield  # pragma: no cover - makes this a generator


def _bool_option(endpoint: str, options: Mapping[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise RegistrationError(
            f"Endpoint {endpoint!r}: {name} must be True or False, not {value!r}."
        )
    return value


class CsrfStep(_Step):
    """The platform's CSRF check for unsafe methods; ``csrf_exempt=True`` skips it.

    It does not run on WebSocket handshakes, which a browser sends without
    any header a page could add.
    """

    name = "csrf"
    options = frozenset({"csrf_exempt"})

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> bool | None:
        return None if _bool_option(endpoint, options, "csrf_exempt") else True

    def methods(self, config: bool, endpoint_methods: frozenset[str]) -> frozenset[str]:
        return endpoint_methods - _NO_CSRF

    def admit(self, call: StepCall, config: bool) -> Flow[AjaxResponse | None]:
        if call.request.state.get(BATCH_ITEM):
            return None
        check = call.platform.check_csrf
        if check is not None:
            yield blocking(call.platform, check, call.request, call.settings.max_body_size)
        return None


@dataclass(frozen=True)
class AuthConfig:
    """:class:`AuthStep`'s configuration for one endpoint."""

    login_required: bool
    permission: Permission | None


class AuthStep(_Step):
    """``login_required`` → 401 for anonymous requests; ``permission(request)`` → 403."""

    name = "auth"
    options = frozenset({"login_required", "permission"})

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> AuthConfig | None:
        login_required = _bool_option(endpoint, options, "login_required")
        permission = options.get("permission")
        if permission is not None and not callable(permission):
            raise RegistrationError(
                f"Endpoint {endpoint!r}: permission must be a callable "
                f"permission(request) -> bool, not {permission!r}."
            )
        if not (login_required or permission):
            return None
        return AuthConfig(login_required, permission)

    def admit(self, call: StepCall, config: AuthConfig) -> Flow[AjaxResponse | None]:
        user = yield load_user(call.request, call.platform)
        # Only login_required is sure to refuse everyone without a user; a
        # permission may well allow anonymous callers (public live topics).
        if config.login_required and user is None and call.settings.user_loader is None:
            warn_no_user_source(call.platform.name, call.platform.user_source)
        if config.login_required and not is_authenticated(user):
            raise Unauthorized()
        if config.permission is not None:
            allowed = yield call_either(config.permission, call.platform, call.request)
            if not allowed:
                # Refusing an anonymous user says "log in", not "you may not".
                raise Forbidden() if is_authenticated(user) else Unauthorized()
        return None


def load_user(request: AjaxRequest, platform: Platform) -> Effect:
    """An effect loading the request's user (off the event loop when async)."""
    return IO(lambda: request.user, lambda: request.aload_user(platform.run_in_thread))


def _default_steps() -> tuple[PolicyStep[Any], ...]:
    # Imported here: those modules build on this one (StepCall, load_user).
    from ajaxkit.core.idempotency import IdempotencyStep
    from ajaxkit.core.ratelimit import RateLimitStep

    return (CsrfStep(), AuthStep(), RateLimitStep(), IdempotencyStep())


#: The built-in steps, in the order they run.
DEFAULT_STEPS: tuple[PolicyStep[Any], ...] = _default_steps()
