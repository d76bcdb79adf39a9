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
replay), or let the request go on (return ``None``).  A step that knows at
admission what every answer must carry (a rate limit's remaining count)
appends the fields to :attr:`StepCall.response_headers`: they are added to
whatever response answers the request, success or error.  Steps that set
``completes`` see the final response afterwards, in reverse order, to store
it (an idempotent replay) — before those fields are added, so a stored
answer never repeats another request's count.  Adding a step never means
editing the flow.

``admit`` and ``complete`` return their verdict directly when they need no
I/O, or a flow (a generator yielding effects) that returns it when they do:
a step runs on every request of its endpoint, and a generator frame costs a
noticeable share of a cheap check (a page's own ``fetch()`` passing CSRF).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ajaxkit.core.auth import is_authenticated, warn_no_user_source
from ajaxkit.core.callbacks import as_async_function, callback_problem
from ajaxkit.core.csrf import (
    check_headers_then_token,
    check_sent_token,
    check_site_and_origin,
    csrf_signer,
    page_token,
    sent_token,
)
from ajaxkit.core.effects import IO, Effect, Flow, blocking, call_either
from ajaxkit.exceptions import CSRFFailed, Forbidden, RegistrationError, Unauthorized
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.endpoint import Permission
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = [
    "BATCH_ITEM",
    "BATCH_PASSED_CSRF",
    "DEFAULT_STEPS",
    "SAFE_METHODS",
    "WEBSOCKET",
    "AuthConfig",
    "AuthStep",
    "BoundStep",
    "Completion",
    "CsrfStep",
    "PolicyStep",
    "StepCall",
    "Verdict",
    "bind_steps",
    "issue_response",
    "load_user",
    "not_authenticated",
]

C = TypeVar("C")

#: ``request.state`` key marking an item of a batch (a request derived from
#: the batch request: its headers and cookies are the batch request's).
BATCH_ITEM = "ajaxkit.batch_item"
#: ``request.state`` key marking an item of a batch whose request passed the
#: CSRF check: the item's own check would read the same headers and cookies,
#: so it is not run again.  Absent when the batch endpoint is ``csrf_exempt``:
#: then nothing was checked, and each item's endpoint checks as if sent alone.
BATCH_PASSED_CSRF = "ajaxkit.batch_passed_csrf"

#: Methods that must not change state, so CSRF does not apply to them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The pseudo-method of a WebSocket handshake.
WEBSOCKET = "WEBSOCKET"


#: What :meth:`PolicyStep.admit` returns: an early answer, ``None`` to let the
#: request go on, or a flow doing I/O first and returning one of those.
Verdict = AjaxResponse | None | Flow[AjaxResponse | None]
#: What :meth:`PolicyStep.complete` returns: the response, or a flow to it.
Completion = AjaxResponse | Flow[AjaxResponse]


class StepCall:
    """What a step may know about the request it is admitting.

    ``response_headers``: fields to add to whatever response answers the
    request (success, error or early answer), after the steps that
    complete.  Fields on the response itself, not on the step's own state,
    so that a refusal raised by a later step carries them too.

    The pipeline gives the steps its admission in progress
    (:class:`~ajaxkit.core.admission.Admission`, which is one): making a
    second object per stepped request cost ~1,900 instructions (a named
    tuple, as this was) or more (this class's ``__init__``).  Slots, since
    CPython 3.11 specialises reading a slot and not a named tuple's field.
    """

    __slots__ = ("platform", "request", "response_headers", "settings")

    def __init__(
        self,
        request: AjaxRequest,
        settings: Settings,
        platform: Platform,
        response_headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.request = request
        self.settings = settings
        self.platform = platform
        self.response_headers: list[tuple[str, str]] = (
            [] if response_headers is None else response_headers
        )


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

    def admit(self, call: StepCall, config: C) -> Verdict:
        """Refuse (raise), answer early (return a response) or pass (``None``);
        a step needing I/O returns a flow that does it and returns the verdict."""
        ...

    def complete(self, call: StepCall, config: C, response: AjaxResponse) -> Completion:
        """See the final response (return it, or a flow returning it); only
        called when ``completes`` is true."""
        ...


@dataclass(frozen=True)
class BoundStep(Generic[C]):
    """A step with one endpoint's configuration.

    ``completes`` is the step's own, copied here: admission asks it of every
    step it runs, and CPython 3.11 specialises reading an instance's field,
    not a class attribute through an instance (~150 instructions a step).
    """

    step: PolicyStep[C]
    config: C
    completes: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "completes", self.step.completes)


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

    def complete(self, call: StepCall, config: Any, response: AjaxResponse) -> Completion:
        return response


#: What ``permission`` is called with.
_REQUEST = ("request",)


def _bool_option(endpoint: str, options: Mapping[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise RegistrationError(
            f"Endpoint {endpoint!r}: {name} must be True or False, not {value!r}."
        )
    return value


class CsrfStep(_Step):
    """The CSRF policy (:mod:`ajaxkit.core.csrf`) for unsafe methods.

    ``csrf_exempt=True`` turns it off for an endpoint (for clients that
    authenticate with a token, never with cookies).  On a WebSocket
    handshake only the header checks run: a browser always sends ``Origin``
    there and no page can add a token header.  The ``_csrf`` endpoint every
    registry has (``csrf_issue=True``) is answered here with a fresh token.
    """

    name = "csrf"
    options = frozenset({"csrf_exempt", "csrf_issue"})

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> str | None:
        if _bool_option(endpoint, options, "csrf_issue"):
            return "issue"
        return None if _bool_option(endpoint, options, "csrf_exempt") else "check"

    def methods(self, config: str, endpoint_methods: frozenset[str]) -> frozenset[str]:
        if config == "issue":
            return endpoint_methods & {"GET", "HEAD"}
        return endpoint_methods - SAFE_METHODS

    def admit(self, call: StepCall, config: str) -> Verdict:
        if config == "issue":
            return issue_response(call)
        request, platform = call.request, call.platform
        # A page's own fetch() is the common case: one header decides it
        # (with no platform check to run), before anything else is read.
        # The header is read once, here, for the checks below too.
        site = request.headers.get("sec-fetch-site")
        # "is not None" first: comparing None with a str is not specialised
        # by CPython 3.11 (~200 instructions on every request without it).
        if site is not None and site == "same-origin" and platform.check_csrf is None:
            return None
        # Only a batch item has state by now: an empty dict is told at once
        # (a call less, about 250 instructions).
        if request.state and request.state.get(BATCH_PASSED_CSRF):
            return None  # the batch request, whose headers the item carries, passed
        if platform.check_csrf is None and request.method != WEBSOCKET:
            # The core's policy alone, straight from here: a frame less
            # (about 1,000 instructions).
            check_headers_then_token(request, site, call.settings, platform)
            return None
        return self._check(call, site)

    def _check(self, call: StepCall, site: str | None) -> Verdict:
        request, platform = call.request, call.platform
        policy = call.settings.csrf

        def trusted() -> tuple[str, ...]:
            return policy.trusted_origins + platform.trusted_origins()

        decided = check_site_and_origin(request, site, policy, trusted)
        if request.method == WEBSOCKET:
            return None
        if platform.check_csrf is not None:
            blocks = platform.csrf_check_blocks
            if blocks is not None and not blocks(request):
                # Headers and a cookie only: a hop to a thread (one thread
                # for every request on Django's ASGI) would cost more.
                platform.check_csrf(request, trusted(), call.settings.max_body_size)
                return None
            return _platform_check(call, trusted())
        if not decided:
            _check_token(call)
        return None


def _platform_check(call: StepCall, trusted: tuple[str, ...]) -> Flow[None]:
    """The platform's own CSRF check (Django's), which may read a form body."""
    platform = call.platform
    assert platform.check_csrf is not None
    limit = call.settings.max_body_size
    yield blocking(platform, platform.check_csrf, call.request, trusted, limit)
    return None


def _check_token(call: StepCall) -> None:
    request, policy, accept = call.request, call.settings.csrf, call.platform.accept_csrf_token
    # Read once, for ours and for the platform's tokens (Flask-WTF's).
    sent = sent_token(request, policy)
    try:
        check_sent_token(request, sent, policy, csrf_signer(call.settings), call.settings.clock)
    except CSRFFailed:
        # Asked only when ours refuses: asking whether the app has
        # Flask-WTF at all cost a token request more than our whole check.
        if accept is None or sent is None or not accept(request, sent):
            raise


def issue_response(call: StepCall) -> AjaxResponse:
    """The ``_csrf`` answer: ``{"token": ...}``, setting the cookie that goes with it."""
    issue = call.platform.issue_csrf_token
    if issue is not None:
        token, cookie = issue(call.request)
    else:
        settings = call.settings
        token, cookie = page_token(
            call.request.cookies, settings.csrf, csrf_signer(settings), settings.clock
        )
    body = b'{"token":"' + token.encode() + b'"}'
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    return AjaxResponse(200, body, headers, cookies=[cookie] if cookie else ())


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
        problem = (
            None if permission is None else callback_problem("permission", permission, _REQUEST)
        )
        if problem is not None:
            raise RegistrationError(f"Endpoint {endpoint!r}: {problem}.")
        if not (login_required or permission):
            return None
        return AuthConfig(
            login_required, None if permission is None else as_async_function(permission)
        )

    def admit(self, call: StepCall, config: AuthConfig) -> Verdict:
        request = call.request
        if request.user_loaded and config.permission is None:
            # Known already (Starlette hands it over with the request): decided
            # here, with no effect for the pipeline to run.
            _check_login(call, config, request.user)
            return None
        return self._admit(call, config)

    def _admit(self, call: StepCall, config: AuthConfig) -> Flow[AjaxResponse | None]:
        user = yield load_user(call.request, call.platform)
        _check_login(call, config, user)
        if config.permission is not None:
            allowed = yield call_either(config.permission, call.platform, call.request)
            if not allowed:
                # Refusing an anonymous user says "log in", not "you may not".
                raise Forbidden() if is_authenticated(user) else not_authenticated(call.settings)
        return None


def _check_login(call: StepCall, config: AuthConfig, user: Any) -> None:
    """Refuse an anonymous ``user`` where ``login_required``."""
    # Only login_required is sure to refuse everyone without a user; a
    # permission may well allow anonymous callers (public live topics).
    if config.login_required and user is None and call.settings.user_loader is None:
        warn_no_user_source(call.platform.name, call.platform.user_source)
    if config.login_required and not is_authenticated(user):
        raise not_authenticated(call.settings)


def not_authenticated(settings: Settings) -> Unauthorized:
    """The 401 for an anonymous request, carrying ``login_url`` when one is set."""
    if settings.login_url is None:
        return Unauthorized()
    return Unauthorized(login_url=settings.login_url)


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
