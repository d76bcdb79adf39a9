"""``Idempotency-Key`` (IETF httpapi draft) on POST and PATCH: retries never repeat an effect.

A client that may retry a POST sends ``Idempotency-Key: "<a fresh UUID>"``.
The first request with a key reserves it and runs; its complete response is
stored (status, headers, body) and every later request with the same key
gets that response again, marked ``Idempotent-Replayed: true``, without
running the handler.  A request arriving while the first is still running
gets 409 ``idempotency_in_flight`` (retry later); the same key with another
request (method, route, query or body differ) is 422
``idempotency_key_reused``.  Not stored, so that a retry runs again: 5xx
responses, answers asking for a retry later (408, 429), streamed responses
and responses the handler built natively.
Cookies are never replayed (a replay must not log anyone in).

Keys are scoped per user, and an anonymous caller's per client address
(its bucket, as rate limits count it: ``trusted_proxies``, an IPv6 /64 as
one client), so strangers on other addresses never get each other's
answers by sending the same key; keys must still be unguessable, as the
draft asks.  They expire ``Settings.idempotency_expiry`` seconds after the
response was stored, measured by ``Settings.clock``.  A reservation whose
request never finished (the process died) is released after
``PENDING_TIMEOUT``.

Stores hold opaque bytes under a key; :class:`MemoryIdempotencyStore` here,
a Redis one in :mod:`ajaxkit.stores.redis`.  Records carry their own expiry
time, compared with the injected clock, so a store never needs the time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlencode

import orjson

from ajaxkit.core.body import MULTIPART_TYPE, ReadBody
from ajaxkit.core.effects import IO, Effect, Flow, blocking
from ajaxkit.core.identity import address_bucket, client_address, user_id
from ajaxkit.core.multipart import body_parts
from ajaxkit.core.steps import Completion, StepCall, Verdict, load_user
from ajaxkit.core.transactions import transactions_of
from ajaxkit.exceptions import (
    ConfigurationError,
    IdempotencyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    MalformedBody,
    RegistrationError,
    ServiceUnavailable,
)
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RECORDS",
    "IDEMPOTENCY_METHODS",
    "PENDING_TIMEOUT",
    "IdempotencyConfig",
    "IdempotencyInFlight",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyMissing",
    "IdempotencyKeyReused",
    "IdempotencyStep",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "asks_for_retry",
    "not_storable",
]

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: Seconds after which an unfinished reservation no longer blocks retries.
PENDING_TIMEOUT = 300.0
#: Records :class:`MemoryIdempotencyStore` keeps by default.
DEFAULT_MAX_RECORDS = 10_000
#: Bytes of records :class:`MemoryIdempotencyStore` keeps by default: a
#: record holds a whole answer, so a bound on records alone let 10,000
#: answers of 1 MiB (fresh keys are free) hold 10 GiB.
DEFAULT_MAX_BYTES = 64 * 2**20
_MAX_KEY = 255
_STATE = "ajaxkit.idempotency"
_UNSTORABLE = _STATE + ".unstorable"
#: The methods whose requests an ``Idempotency-Key`` may guard (the draft's:
#: the ones that are not idempotent already).
IDEMPOTENCY_METHODS = frozenset({"POST", "PATCH"})


class IdempotencyStore(Protocol):
    """Where reservations and stored responses live (opaque bytes per key).

    Attributes:
        blocks: whether the methods do I/O (then async servers call them in
            a thread).
    """

    blocks: bool

    def reserve(self, key: str, record: bytes, now: float, expires: float) -> bytes | None:
        """Atomically store ``record`` under ``key`` unless a live record is there.

        Returns ``None`` when reserved, else the live record.  A record is
        live while its ``expires`` (as given when it was stored) is after ``now``.
        """
        ...

    def save(self, key: str, record: bytes, now: float, expires: float) -> None:
        """Replace the record under ``key`` (the finished response), live until ``expires``."""
        ...

    def release(self, key: str) -> None:
        """Forget ``key`` (the response is not stored; a retry runs again)."""
        ...


class MemoryIdempotencyStore:
    """An in-process store (one process, or tests), of at most ``max_records``
    records holding at most ``max_bytes`` bytes in all.

    Every request with a fresh key adds a record, so the store is bounded:
    once full, expired records are dropped (at most once per
    ``max_records // 2`` reservations, so that each costs the same however
    many are live), then the oldest, whose key then runs again if retried.
    Give production processes the Redis store.

    Raises:
        ConfigurationError: ``max_records`` or ``max_bytes`` is not a whole
            number, 1 or more.
    """

    blocks = False

    def __init__(
        self, max_records: int = DEFAULT_MAX_RECORDS, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        _check_bound("max_records", max_records)
        _check_bound("max_bytes", max_bytes)
        self.max_records = max_records
        self.max_bytes = max_bytes
        # Oldest first: reservations are appended, and the first is evicted.
        self._records: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._since_collect = 0

    def __len__(self) -> int:
        return len(self._records)

    @property
    def stored_bytes(self) -> int:
        """The bytes of the records held (at most ``max_bytes``)."""
        return self._bytes

    def reserve(self, key: str, record: bytes, now: float, expires: float) -> bytes | None:
        with self._lock:
            found = self._records.get(key)
            if found is not None and found[0] > now:
                return found[1]
            self._put(key, (expires, record), now)
            return None

    def save(self, key: str, record: bytes, now: float, expires: float) -> None:
        with self._lock:
            found = self._records.get(key)
            if found is None:
                self._put(key, (expires, record), now)
                return
            # Keeps its place: it was reserved then.
            self._records[key] = (expires, record)
            self._bytes += len(record) - len(found[1])
            if self._bytes > self.max_bytes:
                self._make_room(now)

    def release(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def _put(self, key: str, value: tuple[float, bytes], now: float) -> None:
        self._drop(key)
        self._records[key] = value
        self._bytes += len(value[1])
        self._since_collect += 1
        if len(self._records) > self.max_records or self._bytes > self.max_bytes:
            self._make_room(now)

    def _drop(self, key: str) -> None:
        found = self._records.pop(key, None)
        if found is not None:
            self._bytes -= len(found[1])

    def _make_room(self, now: float) -> None:
        if self._since_collect >= self.max_records // 2:
            # A full scan, paid for by the reservations since the last one.
            self._since_collect = 0
            for key in [k for k, (expires, _) in self._records.items() if expires <= now]:
                self._drop(key)
        while len(self._records) > self.max_records or self._bytes > self.max_bytes:
            _, (_, record) = self._records.popitem(last=False)
            self._bytes -= len(record)


def _check_bound(name: str, value: object) -> None:
    # ``True`` is an int to Python but never a meant bound.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"MemoryIdempotencyStore({name}={value!r}): must be a whole number, 1 or more."
        )


Mode = Literal["optional", "required"]


@dataclass(frozen=True)
class IdempotencyConfig:
    """:class:`IdempotencyStep`'s configuration for one endpoint."""

    mode: Mode
    scope: str


class IdempotencyStep:
    """``idempotency=True`` (the default: honoured when sent), ``"required"``, or ``False``."""

    name = "idempotency"
    options = frozenset({"idempotency"})
    completes = True

    def configure(self, endpoint: str, options: Mapping[str, Any]) -> IdempotencyConfig | None:
        value = options.get("idempotency", True)
        if value is False:
            return None
        if value is True:
            return IdempotencyConfig("optional", endpoint)
        if value == "required":
            return IdempotencyConfig("required", endpoint)
        raise RegistrationError(
            f"Endpoint {endpoint!r}: idempotency must be True, False or 'required', not {value!r}."
        )

    def methods(
        self, config: IdempotencyConfig, endpoint_methods: frozenset[str]
    ) -> frozenset[str]:
        guarded = endpoint_methods & IDEMPOTENCY_METHODS
        if config.mode == "required" and not guarded:
            # It would ask no request for a key: a guard that guards nothing.
            raise RegistrationError(
                f"Endpoint {config.scope!r}: idempotency='required' asks POST and PATCH "
                f"requests for an Idempotency-Key, and this endpoint answers "
                f"{', '.join(sorted(endpoint_methods))}."
            )
        return guarded

    def admit(self, call: StepCall, config: IdempotencyConfig) -> Verdict:
        # Decided here for a request without a key (most of them): a flow,
        # made only for a keyed one, cost each of them ~5,000 instructions
        # with complete()'s.
        raw = call.request.headers.get(HEADER)
        if raw is None:
            if config.mode == "required":
                raise IdempotencyKeyMissing()
            return None
        return self._admit_keyed(call, config, raw)

    def _admit_keyed(
        self, call: StepCall, config: IdempotencyConfig, raw: str
    ) -> Flow[AjaxResponse | None]:
        key = parse_key(raw)
        user = yield load_user(call.request, call.platform)
        body = yield ReadBody(call.request, call.settings.max_body_size)
        store_key = _store_key(_caller(call.request, user, call.settings.trusted_proxies), key)
        fingerprint = _fingerprint(call.request, config.scope, body)
        held = transactions_of(call.request)
        if held is not None and store_key in held.held_records:
            # An earlier item of this atomic batch answered the key; its
            # answer is stored only at commit, so it is replayed from here.
            return _answer_existing(orjson.loads(held.held_records[store_key]), fingerprint)
        now = call.settings.clock.time()
        pending = orjson.dumps({"state": "pending", "fp": fingerprint})
        try:
            found = yield _store_call(
                call.settings.idempotency_store,
                call.platform,
                "reserve",
                store_key,
                pending,
                now,
                now + PENDING_TIMEOUT,
            )
        except Exception as exc:
            # Without the store the retry cannot be told from the first try.
            raise ServiceUnavailable("The idempotency store is unreachable.") from exc
        if found is None:
            call.request.state[_STATE] = store_key
            return None
        return _answer_existing(orjson.loads(found), fingerprint)

    def complete(
        self, call: StepCall, config: IdempotencyConfig, response: AjaxResponse
    ) -> Completion:
        store_key = call.request.state.pop(_STATE, None)
        if store_key is None:  # no key, or this was a replay
            return response
        return self._complete_keyed(call, config, response, store_key)

    def _complete_keyed(
        self, call: StepCall, config: IdempotencyConfig, response: AjaxResponse, store_key: str
    ) -> Flow[AjaxResponse]:
        storable = _storable(response) and not call.request.state.get(_UNSTORABLE)
        record = _record(response, _fingerprint_of(call.request)) if storable else None
        held = transactions_of(call.request)
        if held is None:
            yield from _settle(call, config, store_key, record)
        else:
            # An item of an atomic batch: its answer only stands if the batch
            # commits; rolled back, the key is freed so a retry runs again.
            if record is not None:
                held.held_records[store_key] = record
            held.defer(
                on_commit=functools.partial(_settle, call, config, store_key, record),
                on_rollback=functools.partial(_settle, call, config, store_key, None),
            )
        return response


def _settle(
    call: StepCall, config: IdempotencyConfig, store_key: str, record: bytes | None
) -> Flow[None]:
    """Store ``record`` under the reserved key, or release the key when ``None``."""
    store = call.settings.idempotency_store
    now = call.settings.clock.time()
    if record is not None:
        expires = now + call.settings.idempotency_expiry
        effect = _store_call(store, call.platform, "save", store_key, record, now, expires)
    else:
        effect = _store_call(store, call.platform, "release", store_key)
    try:
        yield effect
    except Exception:
        # The handler has acted: its answer goes out whatever the store
        # says.  The key stays reserved until PENDING_TIMEOUT, so a retry
        # gets 409 rather than acting twice.
        logging.getLogger(call.settings.logger_name).exception(
            "Idempotency store failed; key left reserved (endpoint %s)", config.scope
        )


def parse_key(raw: str) -> str:
    """The key of an ``Idempotency-Key`` value: an sf-string (``"abc"``) or, leniently, bare.

    The draft's key is one sf-string (RFC 8941): a quote or backslash inside
    is escaped, and nothing follows the closing quote.  Two headers reach
    the app joined into one value (``"a", "b"``); read loosely (the outer
    quotes stripped) that was a key made of both, ``a", "b``, so several
    keys are refused, saying so, and so is any value that is no sf-string.
    """
    value = raw.strip()
    match = _SF_STRING.fullmatch(value) or _BARE_KEY.fullmatch(value)
    if match is None:
        several = "," in value and _SEVERAL_KEYS.fullmatch(value) is not None
        raise IdempotencyKeyInvalid(_SEVERAL if several else IdempotencyKeyInvalid.detail)
    key = _SF_ESCAPE.sub(r"\1", match.group(1))
    if not 0 < len(key) <= _MAX_KEY or not key.isprintable() or " " in key:
        raise IdempotencyKeyInvalid()
    return key


#: An sf-string (RFC 8941 section 3.3.3): printable ASCII, ``"`` and ``\``
#: escaped by a backslash.
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_SF_ESCAPE = re.compile(r'\\(["\\])')
#: A key sent without its quotes (kept for clients that always did): visible
#: ASCII but the list separator and the characters that only quoting allows.
_BARE_KEY = re.compile(r"([\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+)")
#: Two or more keys, as a repeated header is joined: a comma-separated list.
_LIST_ITEM = r'(?:"(?:[^"\\]|\\.)*"|[^",\s]+)'
_SEVERAL_KEYS = re.compile(rf"{_LIST_ITEM}(?:[ \t]*,[ \t]*{_LIST_ITEM})+")
_SEVERAL = (
    "Send one Idempotency-Key: this request carried several (repeated "
    "Idempotency-Key headers, or a comma-separated list), and a retry is "
    "known by one key."
)


def _answer_existing(record: dict[str, Any], fingerprint: str) -> AjaxResponse:
    if record["fp"] != fingerprint:
        raise IdempotencyKeyReused()
    if record["state"] == "pending":
        raise IdempotencyInFlight(headers={"Retry-After": "1"})
    headers = [(name, value) for name, value in record["headers"]]
    headers.append((REPLAYED, "true"))
    return AjaxResponse(record["status"], base64.b64decode(record["body"]), headers)


def not_storable(request: AjaxRequest) -> None:
    """Keep ``request``'s answer from being stored under its key: it says
    nothing happened for a reason a retry may not meet (an atomic batch
    rolled back for an item's answer that :func:`asks_for_retry`, or whose
    commit the database refused), so a retry runs again, as after a server
    error."""
    request.state[_UNSTORABLE] = True


#: Answers that ask for the same request again later (a timeout, a handler's
#: own "too many"): stored, the retry they ask for would get them again.
_RETRY_LATER = frozenset({408, 429})


def asks_for_retry(status: int) -> bool:
    """Whether an answer of ``status`` is one a retry may well not get (a
    5xx, a 408 or 429): never stored under a key, so the retry runs."""
    return status >= 500 or status in _RETRY_LATER


def _storable(response: AjaxResponse) -> bool:
    return (
        response.stream is None and response.native is None and not asks_for_retry(response.status)
    )


def _record(response: AjaxResponse, fingerprint: str) -> bytes:
    return orjson.dumps(
        {
            "state": "done",
            "fp": fingerprint,
            "status": response.status,
            "headers": _replayable_headers(response),
            "body": base64.b64encode(response.body).decode("ascii"),
        }
    )


def _replayable_headers(response: AjaxResponse) -> list[tuple[str, str]]:
    # A cookie belongs to the caller it was set for.  Cookie values are never
    # stored, and neither is a raw Set-Cookie header a handler wrote itself:
    # replayed to another caller sharing the scope (anonymous callers behind
    # one address do), a session cookie would log them in as someone else.
    return [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() != "set-cookie"
    ]


def _caller(request: AjaxRequest, user: Any, trusted_proxies: int) -> str:
    """Whose keys a request's are: its user's, or an anonymous client address's.

    Never one scope for every anonymous caller: two strangers sending the
    same key (a fixed one in a script, a badly seeded generator) would get
    each other's answers.  The address is the narrowest thing an anonymous
    client keeps across its own retries; the space keeps it apart from any
    user id (``"Type:value"``).
    """
    found = user_id(user)
    if found is not None:
        return found
    return f"anonymous {address_bucket(client_address(request, trusted_proxies))}"


def _store_key(who: str, key: str) -> str:
    # Hashed: the key and the caller come from outside and may be long.
    return hashlib.sha256(f"{who}\0{key}".encode()).hexdigest()


def _fingerprint(request: AjaxRequest, scope: str, body: bytes) -> str:
    digest = hashlib.sha256()
    # The query too: a handler may read it on a POST (a model endpoint's
    # ?expand= shapes the answer), so another query is another request.
    query = urlencode(request.query.multi_items())
    for part in (request.method, scope, request.route, query, request.content_type):
        # surrogatepass: a stranger's path or query may decode to a lone
        # surrogate, which must fingerprint, not fail the request.
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(_payload(request, body))
    fingerprint = digest.hexdigest()
    request.state[_STATE + ".fp"] = fingerprint
    return fingerprint


def _payload(request: AjaxRequest, body: bytes) -> bytes:
    """What of ``body`` tells one request from another: all of it, but for
    a multipart body the boundary (rule I2).

    A browser makes up a new boundary each time it sends a ``FormData``
    body, so the retry of an upload differs from its first try in that
    alone; taken as bytes, every such retry was a 422 instead of its
    stored answer.  The parts (their header lines and content) are hashed
    in order, each with its length, so no two different lists of parts
    hash alike.  A body the parser refuses is taken as it is: every try
    of it gets the same 400.
    """
    if request.content_type != MULTIPART_TYPE:
        return body
    parts = hashlib.sha256(b"multipart parts\0")
    try:
        for part in body_parts(request.headers.get("content-type", ""), body):
            parts.update(len(part).to_bytes(8, "big"))
            parts.update(part)
    except MalformedBody:
        return body
    return parts.digest()


def _fingerprint_of(request: AjaxRequest) -> str:
    return str(request.state[_STATE + ".fp"])


def _store_call(store: IdempotencyStore, platform: Platform, method: str, *args: Any) -> Effect:
    func = getattr(store, method)
    if store.blocks:
        return blocking(platform, func, *args)

    async def direct() -> Any:
        return func(*args)

    return IO(lambda: func(*args), direct)
