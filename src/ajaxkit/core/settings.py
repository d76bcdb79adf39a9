"""Explicit settings: one frozen object passed to :class:`~ajaxkit.Ajax`.

Integrations may build it from ``django.conf.settings`` or ``app.config`` at
mount time (never at import time) with :meth:`Settings.replace`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ajaxkit.core.callbacks import callback_problem, is_async_callable
from ajaxkit.core.clock import Clock, SystemClock
from ajaxkit.core.csrf import CsrfPolicy
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from limits.storage import Storage

    from ajaxkit.core.idempotency import IdempotencyStore
    from ajaxkit.core.profile import Profile
    from ajaxkit.core.steps import PolicyStep
    from ajaxkit.types import AjaxRequest

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Settings", "as_keywords"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024


def as_keywords(given: object, example: str) -> str:
    """``given``, a mapping a settings object was expected in place of, as the
    keywords to write instead (``"debug=True"``); ``example`` for anything else.

    For the messages refusing such a mapping (``Ajax(settings={...})``,
    ``Live(settings={...})``): the user's own values, spelt as arguments.
    """
    if isinstance(given, Mapping) and all(isinstance(k, str) for k in given):
        return ", ".join(f"{k}={v!r}" for k, v in given.items())
    return example


def _default_steps() -> tuple[PolicyStep[Any], ...]:
    from ajaxkit.core.steps import DEFAULT_STEPS

    return DEFAULT_STEPS


def _default_rate_limit_storage() -> Storage:
    from ajaxkit.core.ratelimit import default_storage

    return default_storage()


def _default_idempotency_store() -> IdempotencyStore:
    from ajaxkit.core.idempotency import MemoryIdempotencyStore

    return MemoryIdempotencyStore()


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
        profile: the response format (RFC 9457 problem details by default);
            what only a format decides lives on it, such as the 401
            challenge (:attr:`ProblemProfile.www_authenticate
            <ajaxkit.ProblemProfile.www_authenticate>`) and problem ``type``
            URIs (``problem_type_base``).
        encoder: the JSON encoder; register extra types on it.
        user_loader: ``f(request) -> user`` overriding the framework's user.
        clock: the time source for everything time-dependent.
        logger_name: the :mod:`logging` logger errors are reported to.
        steps: the policy steps admission runs, in order (see
            :mod:`ajaxkit.core.steps`); each reads its own registration
            options.
        csrf: the CSRF policy (:class:`~ajaxkit.core.csrf.CsrfPolicy`):
            trusted origins (share them with your CORS middleware), tokens.
        login_url: sent as ``login_url`` in 401 problems, so a page can
            send its user there.
        max_json_depth: deepest nesting of arrays/objects in a JSON body.
        max_params: most parameters (form fields, top-level JSON members)
            a body may carry.
        max_string_length: longest string (in characters) a body may hold.
        rate_limit_storage: where rate-limit counters live: a ``limits``
            storage URI (``"redis://host:6379/0"``, shared by every
            registry of the process that names it) or a ``limits`` storage
            object; by default an in-process store of this registry's own.
        trusted_proxies: how many proxies in front of the server append to
            ``X-Forwarded-For``; the client address is the entry the
            outermost of them wrote (0: the peer address, the header ignored).
        idempotency_store: where ``Idempotency-Key`` responses are kept
            (:class:`~ajaxkit.core.idempotency.IdempotencyStore`); by default
            in process memory, ``ajaxkit.stores.redis`` for many processes.
        idempotency_expiry: seconds a stored response is replayed for.
        secret_key: signs values handed to clients and trusted back (CSRF
            tokens, list cursors); ``None`` means a random key per process.
        secret_key_fallbacks: earlier secret keys, oldest first, whose
            signatures are still accepted while a rotated ``secret_key``
            takes over (new values are always signed with ``secret_key``);
            the framework's ``SECRET_KEY_FALLBACKS`` when ``secret_key`` is
            its ``SECRET_KEY``.
        openapi: serve ``<mount>/_openapi.json`` and ``<mount>/_types.d.ts``
            (see :mod:`ajaxkit.core.openapi`); ``False`` answers them 404.
    """

    debug: bool = False
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    default_methods: tuple[str, ...] = ("GET", "HEAD", "POST")
    profile: Profile = field(default_factory=_default_profile)
    encoder: JSONEncoder = field(default_factory=JSONEncoder)
    user_loader: Callable[[AjaxRequest], Any] | None = None
    clock: Clock = field(default_factory=SystemClock)
    logger_name: str = "ajaxkit"
    steps: tuple[PolicyStep[Any], ...] = field(default_factory=_default_steps)
    csrf: CsrfPolicy = field(default_factory=CsrfPolicy)
    login_url: str | None = None
    max_json_depth: int = 64
    max_params: int = 1000
    max_string_length: int = 1024 * 1024
    rate_limit_storage: str | Storage = field(default_factory=_default_rate_limit_storage)
    trusted_proxies: int = 0
    idempotency_store: IdempotencyStore = field(default_factory=_default_idempotency_store)
    idempotency_expiry: float = 24 * 60 * 60.0
    secret_key: str | bytes | None = field(default=None, repr=False)
    secret_key_fallbacks: tuple[str | bytes, ...] = field(default=(), repr=False)
    openapi: bool = True

    def __post_init__(self) -> None:
        # The readers are configuration's, which builds on this module.
        from ajaxkit.core.config import read_code_settings

        for name, value in read_code_settings(self).items():
            object.__setattr__(self, name, value)  # frozen: the value as it reads
        self._check_user_loader()
        self._check_objects()
        self._check_steps()

    def _check_objects(self) -> None:
        """An object of the wrong kind failed only on the requests that used it."""
        if not isinstance(self.csrf, CsrfPolicy):
            raise ConfigurationError(
                f"Settings(csrf={self.csrf!r}): must be a CsrfPolicy, "
                "e.g. CsrfPolicy(trusted_origins=(...))."
            )
        for name, (methods, wanted) in _OBJECTS.items():
            value = getattr(self, name)
            if not all(callable(getattr(value, method, None)) for method in methods):
                raise ConfigurationError(f"Settings({name}={value!r}): must be {wanted}.")

    def _check_steps(self) -> None:
        """A list without the CSRF step failed on the first registration.

        Registering the registry's own browser client then refused
        ``csrf_exempt`` as an unknown option, naming ``ajaxkit.js``: true,
        and no help to someone who meant to turn CSRF protection off.
        """
        if any("csrf_exempt" in getattr(step, "options", ()) for step in self.steps):
            return
        raise ConfigurationError(
            "Settings(steps=...): the steps have no CSRF step (none takes csrf_exempt), "
            "and CSRF protection cannot be turned off for a whole registry. Keep the "
            "CsrfStep of ajaxkit.core.steps.DEFAULT_STEPS among your steps, and exempt "
            "single endpoints with csrf_exempt=True: any site's page can then have its "
            "visitors' browsers call such an endpoint with their cookies, so exempt only "
            "one that changes nothing or authenticates by a header, not a cookie."
        )

    def _check_user_loader(self) -> None:
        """One that cannot take the request made every call needing the user a 500."""
        loader = self.user_loader
        if loader is None:
            return
        problem = callback_problem("user_loader", loader, ("request",))
        if problem is not None:
            raise ConfigurationError(f"Settings(user_loader={loader!r}): {problem}.")
        if is_async_callable(loader):
            # Called and never awaited, its coroutine was the user, which
            # counts as signed in: login_required let everyone through.
            raise ConfigurationError(
                f"Settings(user_loader={loader!r}): an async def loader cannot be used; "
                "give a plain function (async servers run it in a worker thread)."
            )

    def __new__(cls, *args: Any, **kwargs: Any) -> Settings:
        # Before the generated __init__, whose TypeError about a misspelt
        # keyword names neither the settings nor the closest one.
        _check_names(cls, kwargs)
        return super().__new__(cls)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied.

        Raises:
            ConfigurationError: a name that is no setting (a misspelling was
                a dataclass ``TypeError`` about ``__init__``).
        """
        return dataclasses.replace(self, **changes)


#: The objects given in code, by field: the methods their protocol needs,
#: and what to give.  A wrong kind was taken as it was: an idempotency store
#: given as a URL (rate_limit_storage takes one) made every request with a
#: key a 503 "store is unreachable", a dict for csrf every token request a 500.
_OBJECTS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "idempotency_store": (
        ("reserve", "save", "release"),
        "an idempotency store: MemoryIdempotencyStore(), or for a Redis URL "
        "ajaxkit.stores.redis.RedisIdempotencyStore.from_url(...)",
    ),
    "clock": (("time", "monotonic"), "a clock with time() and monotonic(), e.g. SystemClock()"),
    "encoder": (("dumps",), "a JSONEncoder (register your types on it)"),
    "profile": (("render_result", "render_error"), "a response profile, e.g. ProblemProfile()"),
}


def _check_nested(cls: type[Settings], name: str) -> None:
    """Refuse a part of a nested setting given flat, saying where it goes.

    ``csrf_trusted_origins``, as ``AJAXKIT_CSRF_TRUSTED_ORIGINS`` reads, is
    ``csrf.trusted_origins``; the closest name, ``trusted_proxies``, is
    another security setting, which a reader would have set instead.
    """
    for setting in dataclasses.fields(cls):
        policy = setting.default_factory
        prefix = f"{setting.name}_"
        if not (isinstance(policy, type) and dataclasses.is_dataclass(policy)):
            continue
        part = name.removeprefix(prefix)
        if name.startswith(prefix) and part in {f.name for f in dataclasses.fields(policy)}:
            raise ConfigurationError(
                f"There is no setting called {name!r}: {part} is a part of the setting "
                f"{setting.name}; write {setting.name}={policy.__name__}({part}=...) "
                f"(from {policy.__module__} import {policy.__name__})."
            )


def _check_names(cls: type[Settings], given: Mapping[str, Any]) -> None:
    """Refuse a keyword that names no setting, saying the closest and all of them."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    for name in given:
        if name not in names:
            _check_nested(cls, name)
            close = difflib.get_close_matches(name, names, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigurationError(
                f"There is no setting called {name!r}{guess}; "
                f"the settings are {', '.join(sorted(names))}."
            )
