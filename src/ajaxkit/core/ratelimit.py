"""Rate limits: the ``rate=`` policy step, with the ``limits`` library's storage.

``@api.endpoint(rate="10/minute")`` (or a list, ``["10/second", "500/hour"]``)
counts requests per endpoint and per key — the user when authenticated,
otherwise the client address — and refuses the request over a limit with 429
``rate_limited`` and ``Retry-After``.  Every response of a limited endpoint
carries the IETF httpapi draft fields (draft-ietf-httpapi-ratelimit-headers)::

    RateLimit-Policy: "10/minute";q=10;w=60
    RateLimit: "10/minute";r=7;t=42

Windows are fixed and aligned to the injected clock (``Settings.clock``):
window ``n`` of a 60-second limit is ``[60n, 60n + 60)``.  Because the
window is named by the clock and not by the storage, one counter increment
(``storage.incr``: one Lua script on Redis) answers everything — allowed,
remaining (limit - count) and reset (end of the window) — and tests move
time with a ``ManualClock`` instead of sleeping.  The storage's own expiry
(real seconds) only collects old windows.  Several processes sharing Redis
must have synchronised clocks (NTP), as any fixed-window limiter does.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from math import ceil, floor
from typing import Any, NamedTuple

from limits.storage import MemoryStorage, Storage, storage_from_string

from ajaxkit.core.callbacks import as_async_function, call_problem
from ajaxkit.core.effects import Flow, blocking, call_either
from ajaxkit.core.identity import address_bucket, client_address, user_id
from ajaxkit.core.rates import Rate, read_rates
from ajaxkit.core.steps import Completion, StepCall, Verdict, load_user
from ajaxkit.exceptions import (
    ConfigurationError,
    RegistrationError,
    ServiceUnavailable,
    TooManyRequests,
)
from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = [
    "CounterStorage",
    "KeyFunction",
    "RateLimit",
    "RateLimitConfig",
    "RateLimitStep",
    "Usage",
    "resolve_storage",
]

#: ``key(request) -> str``: which bucket a request counts against (an
#: ``async def`` one is awaited).
KeyFunction = Callable[[AjaxRequest], Any]
_NAMED_KEYS = ("user", "ip")


#: One limit: ``amount`` requests per ``window`` seconds, named for the headers.
RateLimit = Rate


@dataclass(frozen=True)
class RateLimitConfig:
    """:class:`RateLimitStep`'s configuration for one endpoint.

    ``policy`` (the ``RateLimit-Policy`` field, the same on every response),
    ``policy_header`` (it as a header pair), ``windows`` (each limit's
    current second) and ``several`` are made here, once.  Not as cached properties: the
    first read of one gives the instance a ``__dict__`` of its own, and
    CPython 3.11 then specialises no attribute read on it (each of the
    several on every limited request cost ~200 instructions more).
    """

    limits: tuple[RateLimit, ...]
    key: str | KeyFunction
    scope: str
    #: ``key`` is an ``async def`` function, awaited as an async ``permission`` is.
    awaits_key: bool = False
    policy: str = field(init=False, repr=False, compare=False)
    policy_header: tuple[str, str] = field(init=False, repr=False, compare=False)
    #: Each limit's current second (replaced whole when time leaves it).
    windows: list[_Window] = field(init=False, repr=False, compare=False)
    #: Counted the general way (:func:`_count_here`), not in
    #: :meth:`RateLimitStep.admit` itself: several limits, or a Python
    #: without the GIL (see :data:`COUNTS_WITHOUT_LOCK`).
    several: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        policy = _policy(self.limits)
        object.__setattr__(self, "policy", policy)
        object.__setattr__(self, "policy_header", ("RateLimit-Policy", policy))
        # Never current (the clock is never at infinity): the first request
        # makes the window it is in.
        windows = [_Window(float("inf"), {}, None, limit, 0, resets={}) for limit in self.limits]
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "several", len(self.limits) != 1 or not COUNTS_WITHOUT_LOCK)


class _Window:
    """One second of a window of one limit: the window's counters in one
    storage and the fields its requests carry, reused by every request in
    that second rather than named, looked up and formatted again for each.

    A second, not the whole window, because ``t=`` (whole seconds until the
    window ends) is the same for every request in one: a count's fields are
    then found by the count alone, with no arithmetic on the clock.  The
    seconds of one window share its counters (``CounterStorage.window``
    gives each the same).

    A class with slots, not a named tuple: CPython 3.11 specialises reading
    a slot, not a named tuple's field (~50 instructions a read, ten on
    every limited request).  Never changed once made, but for ``fields``.
    """

    __slots__ = (
        "amount",
        "counts",
        "end",
        "fields",
        "limit",
        "reset",
        "resets",
        "start",
        "storage",
    )

    def __init__(
        self,
        start: float,
        counts: dict[str, count[int]],
        storage: CounterStorage | None,
        limit: RateLimit,
        reset: int,
        *,
        resets: dict[int, dict[int, _Fields]],
    ) -> None:
        # Floats, as the clock's time is: a comparison mixing an int and a
        # float is not specialised either.
        self.start = float(start)
        self.end = self.start + 1.0
        #: CounterStorage.window(): the window's counters by key.
        self.counts = counts
        self.storage = storage
        self.limit = limit
        self.amount = limit.amount
        #: ``t=`` all through this second.
        self.reset = reset
        #: The limit's fields by reset, then by count, shared by its seconds
        #: (a pair does not depend on its window: a fresh cache each window
        #: made a window's first request at each count format it again).
        self.resets = resets
        fields = resets.get(reset)
        if fields is None:
            if len(resets) >= _RESETS_BOUND:
                resets.clear()
            fields = resets[reset] = {}
        #: This second's fields by count (see _fields_at).
        self.fields = fields


#: Both fields a request of a one-limit endpoint carries: ``RateLimit-Policy``, ``RateLimit``.
_Fields = tuple[tuple[str, str], tuple[str, str]]
#: How many resets a limit keeps the fields of, and how many counts each:
#: at most 4,096 pairs of fields a limit (emptied when full, as a flood
#: counts past the limit with a new count each request).
_RESETS_BOUND = 16
_FIELDS_BOUND = 256


class Usage(NamedTuple):
    """One limit after counting this request: what the headers say.

    A named tuple with everything computed once: one is made per limit per
    request, and a frozen dataclass costs several times more to build.
    """

    limit: RateLimit
    used: int  # requests in the window, this one included
    reset: int  # whole seconds until the window ends (at least 1)
    remaining: int  # what is left of the limit in this window
    field: str  # this limit's member of the RateLimit field

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit.amount


class RateLimitStep:
    """``rate="10/minute"`` (or a list of them) and ``rate_key`` ("user", "ip", or
    a callable ``key(request) -> str``)."""

    name = "ratelimit"
    options = frozenset({"rate", "rate_key"})
    # The fields are known at admission: added through response_headers.
    completes = False

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> RateLimitConfig | None:
        rate = options.get("rate")
        key = options.get("rate_key", "user")
        if rate is None:
            if "rate_key" in options:
                raise RegistrationError(f"Endpoint {endpoint!r}: rate_key needs a rate=... too.")
            return None
        if not (callable(key) or key in _NAMED_KEYS):
            raise RegistrationError(
                f"Endpoint {endpoint!r}: rate_key must be 'user', 'ip' or a callable "
                f"key(request) -> str, not {key!r}."
            )
        problem = call_problem("rate_key", key, ("request",)) if callable(key) else None
        if problem is not None:
            raise RegistrationError(f"Endpoint {endpoint!r}: {problem}.")
        if callable(key):
            key = as_async_function(key)  # an object with an async __call__ too
        awaits = callable(key) and inspect.iscoroutinefunction(key)
        return RateLimitConfig(_parse(endpoint, rate), key, endpoint, awaits_key=awaits)

    def methods(self, config: RateLimitConfig, endpoint_methods: frozenset[str]) -> frozenset[str]:
        return endpoint_methods

    def admit(self, call: StepCall, config: RateLimitConfig) -> Verdict:
        # Every limited request comes here: the key and, for one limit on
        # the default storage (nearly every endpoint), the count and the
        # fields are found in this frame, with no layer between (a call is
        # most of a microsecond).  Everything else is counted by _counted.
        settings = call.settings
        if config.key == "ip":
            address = client_address(call.request, settings.trusted_proxies)
            # _bucket_key's lookup without its call, when the address is known.
            key = _BUCKET_KEYS.get(address) or _bucket_key(address)
        elif callable(config.key):
            if config.awaits_key:
                return self._admit_awaited(call, config, config.key)
            key = _given_key(config, config.key(call.request))
        else:  # "user"
            request = call.request
            if not request.user_loaded:  # loading the user may be I/O
                return self._admit_user(call, config)
            # Known already (Starlette hands it over with the request): no
            # effect to run, ~14,000 instructions a request less.
            key = _user_key(request, request.user, settings.trusted_proxies)
        storage = settings.rate_limit_storage
        if type(storage) is not CounterStorage or config.several:
            return self._counted(call, config, key)
        # _count_here's and _admit's steps for one limit, with nothing made
        # per request: no Usage, no list, no string (no effect, no I/O).
        now = settings.clock.time()
        window = config.windows[0]
        if not window.start <= now < window.end or window.storage is not storage:
            window = config.windows[0] = _window_at(storage, config.scope, window, now)
        # CounterStorage.count_in's, without its call.
        counter = window.counts.get(key)
        if counter is None:
            counter = window.counts.setdefault(key, count(1))
        used = next(counter)
        call.response_headers.extend(window.fields.get(used) or _fields_at(config, window, used))
        if used > window.amount:
            raise _refusal(window.limit, window.reset)
        return None

    def _admit_user(self, call: StepCall, config: RateLimitConfig) -> Flow[AjaxResponse | None]:
        user = yield load_user(call.request, call.platform)
        key = _user_key(call.request, user, call.settings.trusted_proxies)
        verdict = self._counted(call, config, key)
        if verdict is not None:
            yield from verdict
        return None

    def _admit_awaited(
        self, call: StepCall, config: RateLimitConfig, key: KeyFunction
    ) -> Flow[AjaxResponse | None]:
        given = yield call_either(key, call.platform, call.request)
        verdict = self._counted(call, config, _given_key(config, given))
        if verdict is not None:
            yield from verdict
        return None

    def _counted(self, call: StepCall, config: RateLimitConfig, key: str) -> Flow[None] | None:
        """Count the request; a flow when the storage must be asked off the event loop."""
        storage = resolve_storage(call.settings.rate_limit_storage)
        now = call.settings.clock.time()
        if type(storage) is CounterStorage:
            # In-process and exact under a lock: no effect (a thread hop when
            # async would cost more than the count itself).
            _admit(call.response_headers, config, _count_here(storage, config, key, now))
            return None
        return self._count_remote(call, storage, config, key, now)

    def _count_remote(
        self, call: StepCall, storage: Storage, config: RateLimitConfig, key: str, now: float
    ) -> Flow[None]:
        if isinstance(storage, MemoryStorage):  # limits' own: no I/O either
            usages = _count(storage, config, key, now)
        else:
            try:
                usages = yield blocking(call.platform, _count, storage, config, key, now)
            except Exception as exc:
                # Fail closed: an unreachable store must not lift every limit.
                raise ServiceUnavailable("The rate-limit store is unreachable.") from exc
        _admit(call.response_headers, config, usages)
        return None

    def complete(
        self, call: StepCall, config: RateLimitConfig, response: AjaxResponse
    ) -> Completion:
        return response  # never called: completes is false


def _given_key(config: RateLimitConfig, given: object) -> str:
    """The bucket of what a ``rate_key`` function answered: a text, or a number (a pk).

    Anything else was counted under its ``str()``, which names no caller:
    ``None`` put every caller in one bucket, and an object's default text
    (a coroutine's, from an async function called unawaited) is new for
    each request, so the limit never refused anyone.

    Raises:
        TypeError: naming the endpoint and the value (a logged 500).
    """
    if isinstance(given, str) or (isinstance(given, int) and not isinstance(given, bool)):
        return f"k:{given}"
    if inspect.iscoroutine(given):
        given.close()  # never awaited: say so here, not in a warning at exit
    raise TypeError(
        f"rate_key of endpoint {config.scope!r} returned {given!r}; it must return "
        "a str (or an int) naming whose requests count together."
    )


def _user_key(request: AjaxRequest, user: Any, trusted_proxies: int) -> str:
    """The key ``user``'s requests count under: the user, or for an anonymous
    request its client address."""
    uid = user_id(user)
    return f"u:{uid}" if uid is not None else _address_key(request, trusted_proxies)


def _address_key(request: AjaxRequest, trusted_proxies: int) -> str:
    # admit() spells this out: one call less on every request limited by address.
    return _bucket_key(client_address(request, trusted_proxies))


def _bucket_key(address: str) -> str:
    """The key ``address`` counts under: its bucket, not its text.

    One IPv6 client holds a whole /64, and a port or another spelling of one
    address must not buy a fresh count.
    """
    # Remembered as address_bucket is, and for the same reason: every
    # request limited by address asks.  A dict, not an lru_cache: finding a
    # key there cost ~600 instructions less.  Bounded, as strangers choose
    # their addresses; emptied when full (thread-safe: each step is one
    # dict operation).
    key = _BUCKET_KEYS.get(address)
    if key is None:
        if len(_BUCKET_KEYS) >= _BUCKET_KEYS_BOUND:
            _BUCKET_KEYS.clear()
        key = _BUCKET_KEYS[address] = f"ip:{address_bucket(address)}"
    return key


_BUCKET_KEYS: dict[str, str] = {}
_BUCKET_KEYS_BOUND = 4096


def _admit(headers: list[tuple[str, str]], config: RateLimitConfig, usages: list[Usage]) -> None:
    """Have every answer carry the fields for ``usages``; refuse when one is over its limit.

    ``headers``: the request's :attr:`~ajaxkit.core.steps.StepCall.response_headers`.
    """
    # Every answer: success, a later step's refusal, the handler's error,
    # this step's own 429.  Nothing else writes these fields.
    headers.append(config.policy_header)
    if len(usages) == 1:  # the common case: its field as it was made, no join
        headers.append(("RateLimit", usages[0].field))
    else:
        headers.append(("RateLimit", ", ".join(u.field for u in usages)))
    for usage in usages:
        if usage.used > usage.limit.amount:
            over = [u for u in usages if u.exceeded]
            # A retry is admitted once every full window has ended: this
            # request may have filled one it did not exceed (the refused
            # count too), and a Retry-After before that end buys another 429.
            full = max(u.reset for u in usages if u.remaining == 0)
            raise _refusal(over[0].limit, full)


def _refusal(limit: RateLimit, retry: int) -> TooManyRequests:
    """The 429 of a request over ``limit``, which may be retried in ``retry`` seconds."""
    return TooManyRequests(
        f"Rate limit {limit.name} exceeded; retry in {retry} s.",
        headers={"Retry-After": str(retry)},
    )


def _policy(limits: Sequence[RateLimit]) -> str:
    return ", ".join(f'"{lim.name}";q={lim.amount};w={lim.window}' for lim in limits)


def _parse(endpoint: str, rate: Any) -> tuple[RateLimit, ...]:
    try:
        return read_rates("rate", rate, "10/minute")
    except ValueError as exc:
        raise RegistrationError(f"Endpoint {endpoint!r}: {exc}.") from None


def _count(storage: Storage, config: RateLimitConfig, key: str, now: float) -> list[Usage]:
    return [_hit(storage, config.scope, limit, key, now) for limit in config.limits]


def _hit(storage: Storage, scope: str, limit: RateLimit, key: str, now: float) -> Usage:
    window = int(now // limit.window)
    reset = max(1, ceil((window + 1) * limit.window - now))
    # The storage keeps the counter a little past the window's end; only
    # this window's requests ever use that name.
    used = storage.incr(f"ajaxkit/{scope}/{limit.name}/{window}/{key}", reset + 1)
    return _usage(limit, used, reset)


def _usage(limit: RateLimit, used: int, reset: int) -> Usage:
    remaining = max(0, limit.amount - used)
    field = _field(limit.name, remaining, reset)
    # tuple.__new__ skips the NamedTuple's Python-level constructor (per request).
    return tuple.__new__(Usage, (limit, used, reset, remaining, field))


# Remembered: a busy endpoint's responses repeat a few values of r= and t=
# (t= moves once a second), and formatting the member cost more than
# finding it.  Keyed by the limit's name, whose hash a str keeps, not by
# the RateLimit (a tuple hashes its fields again on every call).
@functools.lru_cache(maxsize=4096)
def _field(name: str, remaining: int, reset: int) -> str:
    """One limit's member of the ``RateLimit`` field."""
    return f'"{name}";r={remaining};t={reset}'


def _fields_at(config: RateLimitConfig, window: _Window, used: int) -> _Fields:
    """The fields of the request counted ``used``-th in its window, made in
    ``window``'s second and remembered there for the seconds with its ``t=``.

    A busy endpoint's requests repeat a few counts a second, and formatting
    the fields cost more than finding them; an int hashes cheaply.
    Thread-safe: each step is one dict operation.
    """
    remaining = window.amount - used if used < window.amount else 0
    made = (config.policy_header, ("RateLimit", _field(window.limit.name, remaining, window.reset)))
    fields = window.fields
    if len(fields) >= _FIELDS_BOUND:
        fields.clear()
    fields[used] = made
    return made


def _count_here(
    storage: CounterStorage, config: RateLimitConfig, key: str, now: float
) -> list[Usage]:
    """:func:`_count` on a :class:`CounterStorage`: the same windows and counts,
    each window's counters found once per window (:meth:`CounterStorage.window`)
    and counted there by key."""
    usages = []
    windows = config.windows
    for index, limit in enumerate(config.limits):
        window = windows[index]
        if not window.start <= now < window.end or window.storage is not storage:
            # One assignment of a whole tuple: a thread reading the old one
            # meanwhile still sees a consistent window.
            window = windows[index] = _window_at(storage, config.scope, window, now)
        usages.append(_usage(limit, storage.count_in(window.counts, key), window.reset))
    return usages


def _window_at(storage: CounterStorage, scope: str, previous: _Window, now: float) -> _Window:
    """The second of ``previous``'s limit holding ``now``, sharing its fields."""
    limit = previous.limit
    number = int(now // limit.window)
    end = (number + 1) * limit.window
    # Windows are whole seconds from the epoch, so this second lies in one.
    second = floor(now)
    # Named as _hit names its counters, kept a little past the window's end.
    counts = storage.window(f"ajaxkit/{scope}/{limit.name}/{number}/", end - now + 1)
    return _Window(second, counts, storage, limit, end - second, resets=previous.resets)


#: Whether a request may be counted without the storage's lock: with the
#: GIL, taking a key's counter (``dict.setdefault``) and advancing it
#: (``next`` on an ``itertools.count``) are each one step no other thread
#: can interleave with, and the lock cost a request more than the count
#: (~2,000 instructions).  A free-threaded Python counts under the lock.
COUNTS_WITHOUT_LOCK: bool = getattr(sys, "_is_gil_enabled", lambda: True)()


def _counted(counter: count[int]) -> int:
    """How many requests ``counter`` has counted (it is never advanced to read).

    ``itertools.count`` shows its next value only in its repr, ``count(n)``:
    this is read only by ``limits``' API (``get``), never per request.
    """
    return int(repr(counter)[len("count(") : -1]) - 1


_BY_URI: dict[str, Storage] = {}
_BY_URI_LOCK = threading.Lock()


def resolve_storage(value: str | Storage) -> Storage:
    """The storage ``Settings.rate_limit_storage`` names: one per URI per process."""
    if not isinstance(value, str):
        return value
    found = _BY_URI.get(value)
    if found is None:
        with _BY_URI_LOCK:
            found = _BY_URI.get(value)
            if found is None:
                found = _BY_URI[value] = _sync_storage(value)
    return found


def _sync_storage(uri: str) -> Storage:
    if uri.startswith("memory://"):
        return CounterStorage(uri)
    made = storage_from_string(uri)
    if not isinstance(made, Storage):
        # The async storages (async+redis://) would need awaiting per call;
        # ajaxkit runs the sync ones off the event loop instead.
        raise ConfigurationError(
            f"rate_limit_storage {uri!r} is an async storage; use the sync URI "
            "(e.g. redis:// instead of async+redis://)."
        )
    return made


class CounterStorage(MemoryStorage):
    """``limits``' in-process storage, counting without its expiry thread.

    ``MemoryStorage.incr`` starts a timer thread every 10 ms to drop expired
    counters; under an event loop that thread start cost a limited request
    ~20 µs on average.  Counters here are swept inline instead, at most once
    a second, which suits ajaxkit's window-named keys: an expired key is
    never read again, so sweeping late is harmless.  Everything but
    :meth:`incr` (``get``, ``clear``, ``reset``, ...) is ``limits``' own,
    extended to the windows the rate-limit step counts in
    (:meth:`window`): ``get("ajaxkit/<scope>/<limit>/<n>/<key>")`` finds a
    count there as it would a counter of that name.

    ``MemoryStorage.__init__`` also starts that timer, a thread each
    :class:`~ajaxkit.Settings` paid for (~0.5 ms); its state is set up here
    instead, with a timer that ``limits`` starts only if one of its own
    moving- or sliding-window strategies is used on this storage.
    """

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        Storage.__init__(self, uri, **options)
        self._set_up_limits_state()
        #: Held while a count changes (the windows' counters are advanced
        #: without it where :data:`COUNTS_WITHOUT_LOCK`).
        self.counter_lock = threading.Lock()
        self._next_sweep = 0.0
        # name -> (when it goes, in time.time(); its counters by key)
        self._windows: dict[str, tuple[float, dict[str, count[int]]]] = {}

    def window(self, name: str, lasts: float) -> dict[str, count[int]]:
        """The counters of the window called ``name``, by key, for :meth:`count_in`.

        Made on first use and dropped whole ``lasts`` seconds later (real
        time, as ``incr``'s expiry), so counting a request needs neither its
        counter's full name nor an expiry of its own.
        """
        with self.counter_lock:
            found = self._windows.get(name)
            if found is None:
                now = time.time()
                # Windows are made once per window per limit: sweeping here
                # costs a request nothing.
                for gone in [n for n, (ends, _) in self._windows.items() if ends <= now]:
                    del self._windows[gone]
                found = self._windows[name] = (now + lasts, {})
            return found[1]

    def count_in(self, counts: dict[str, count[int]], key: str) -> int:
        """Count one more request of ``key`` in a :meth:`window`'s ``counts``;
        how many it has counted, this one included."""
        if COUNTS_WITHOUT_LOCK:
            counter = counts.get(key)
            if counter is None:
                counter = counts.setdefault(key, count(1))
            return next(counter)
        with self.counter_lock:
            return next(counts.setdefault(key, count(1)))

    def get(self, key: str) -> int:
        name, counts = self._window_of(key)
        if counts is None:
            return super().get(key)
        counter = counts.get(key[len(name) :])
        return 0 if counter is None else _counted(counter)

    def clear(self, key: str) -> None:
        name, counts = self._window_of(key)
        if counts is not None:
            with self.counter_lock:
                counts.pop(key[len(name) :], None)
        super().clear(key)

    def reset(self) -> int | None:
        with self.counter_lock:
            dropped = 0
            for _, counts in self._windows.values():
                dropped += len(counts)
                # Emptied in place, not forgotten: the steps counting in
                # them hold them until their window ends.
                counts.clear()
        return (super().reset() or 0) + dropped

    def _window_of(self, key: str) -> tuple[str, dict[str, count[int]] | None]:
        """The window whose counts hold ``key``, a window name followed by a key."""
        for name, (_, counts) in list(self._windows.items()):
            if key.startswith(name):
                return name, counts
        return "", None

    def _set_up_limits_state(self) -> None:
        """What ``MemoryStorage.__init__`` sets, but the timer unstarted."""
        self.storage = Counter()
        self.locks = defaultdict(threading.RLock)
        self.expirations = {}
        self.events = {}
        self.timer = self._idle_timer()

    @staticmethod
    def _idle_timer() -> threading.Timer:
        # Never started: MemoryStorage starts a fresh timer when it finds
        # this one not alive.
        return threading.Timer(0, lambda: None)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        del state["counter_lock"]
        # Counts, not counters: pickling itertools.count is deprecated.
        state["_windows"] = {
            name: (ends, {key: _counted(counter) for key, counter in counts.items()})
            for name, (ends, counts) in self._windows.items()
        }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled without starting a timer (``MemoryStorage``'s would)."""
        state["_windows"] = {
            name: (ends, {key: count(used + 1) for key, used in counts.items()})
            for name, (ends, counts) in state["_windows"].items()
        }
        self.__dict__.update(state)
        self.locks = defaultdict(threading.RLock)
        self.timer = self._idle_timer()
        self.counter_lock = threading.Lock()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        return self.count(key, expiry, amount)

    def count(self, key: str, expiry: float, amount: int = 1) -> int:
        """:meth:`incr` without ``limits``' error-wrapping decorator.

        ``Storage`` wraps ``incr`` of every subclass to turn the backend's
        exceptions into ``StorageError``; an in-process counter raises none,
        and the wrapper's extra call is a tenth of what a limit costs a
        request.  The rate-limit step calls this; ``incr`` stays the API.
        """
        now = time.time()
        counts = self.storage
        with self.counter_lock:
            if now >= self._next_sweep:
                self._sweep(now)
            # get(): Counter's __missing__ is a Python-level call.
            count = counts.get(key, 0) + amount
            counts[key] = count
            if count == amount:
                self.expirations[key] = now + expiry
            return count

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + 1.0
        for key in [k for k, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)


def default_storage() -> Storage:
    """A fresh in-process counter store (one per :class:`Settings`)."""
    return CounterStorage()
