"""The CSRF policy for unsafe methods, one for every framework.

A browser attaches the victim's cookies to a request another site makes it
send; what it cannot do is lie about where that request came from.  So the
checks, in order (docs/security.md has the threat model):

1. **Fetch Metadata** (``Sec-Fetch-Site``, set by the browser, never by a
   page): ``same-origin`` passes; ``same-site`` passes only with
   :attr:`CsrfPolicy.allow_same_site` or a trusted ``Origin``;
   ``cross-site`` is refused unless the ``Origin`` is trusted.
2. **Origin** against the request's own origin and the trusted origins
   (``Origin: null`` — sandboxed frames, some redirects — is never trusted);
   over HTTPS without ``Origin``, the ``Referer``'s origin the same way.
3. **Token** for clients that send none of those headers (old browsers,
   scripts): a signed double-submit token, sent in a header, that must
   equal the CSRF cookie and be unexpired.

A platform with a CSRF check of its own (Django's ``CsrfViewMiddleware``)
runs it in place of step 3, always, so its settings and semantics stay.
Everything here only reads headers and cookies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from ajaxkit.core.routing import mount_path
from ajaxkit.exceptions import ConfigurationError, CSRFFailed
from ajaxkit.types import AjaxRequest, Cookie

if TYPE_CHECKING:
    from ajaxkit.core.clock import Clock
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = [
    "PASSED_TOKENS",
    "CsrfPolicy",
    "HmacSigner",
    "PassedChecks",
    "PassedTokens",
    "Signer",
    "VerifiedTokens",
    "check_headers_then_token",
    "check_origin_headers",
    "check_read_headers",
    "check_sent_pair",
    "check_sent_token",
    "check_site_and_origin",
    "check_token",
    "csrf_signer",
    "issue_token",
    "origin_matches",
    "origin_problem",
    "page_token",
    "sent_token",
    "signing_keys",
    "token_hint",
]

#: Default cookie of the double-submit token (not Django's ``csrftoken``,
#: which on Django stays Django's own).
DEFAULT_COOKIE = "ajaxkit_csrf"
#: Headers a client may send the token in: Django's and Flask-WTF's names.
DEFAULT_HEADERS = ("X-CSRFToken", "X-CSRF-Token")

K = TypeVar("K")
V = TypeVar("V")


class Signer(Protocol):
    """Signs token values; ``unsign`` returns ``None`` for a bad signature.

    The Flask and Starlette mounts use :mod:`itsdangerous`
    (:class:`ajaxkit.signing.ItsdangerousSigner`); the framework-free core
    signs with :class:`HmacSigner`.
    """

    def sign(self, value: str) -> str: ...

    def unsign(self, signed: str) -> str | None: ...


class HmacSigner:
    """``value.signature`` with HMAC-SHA256 (standard library only).

    Args:
        secret: the key, or the keys oldest first and the current one last
            (``Settings.secret_key_fallbacks``, then ``secret_key``):
            signatures are made with the last and accepted from any.
        salt: keeps these signatures apart from other uses of the key.
    """

    def __init__(
        self, secret: str | bytes | Sequence[str | bytes], salt: str = "ajaxkit.csrf"
    ) -> None:
        given = [secret] if isinstance(secret, (str, bytes)) else list(secret)
        # Newest first: the key a current token was signed with is tried first.
        self._keys = [_derived(key, salt) for key in reversed(given)]

    def _signature(self, value: str, key: bytes) -> str:
        digest = hmac.new(key, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, value: str) -> str:
        return f"{value}.{self._signature(value, self._keys[0])}"

    def unsign(self, signed: str) -> str | None:
        value, _, signature = signed.rpartition(".")
        # A signature is base64url; compare_digest refuses (TypeError) to
        # compare a str holding anything else, which a stranger can send.
        if not value or not signature.isascii():
            return None
        for key in self._keys:
            if hmac.compare_digest(signature, self._signature(value, key)):
                return value
        return None


def _derived(secret: str | bytes, salt: str) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(salt.encode() + b"\0" + key).digest()


@dataclass(frozen=True)
class CsrfPolicy:
    """How unsafe requests are checked (``Settings.csrf``).

    Attributes:
        trusted_origins: origins (``https://app.example.com``) allowed to
            send unsafe requests besides the request's own; a leading
            ``*.`` in the host (``https://*.example.com``) trusts its
            subdomains (never right under a top-level domain: ``*.com``
            is refused).  Give CORS middleware the same list.
        allow_same_site: let ``Sec-Fetch-Site: same-site`` requests (a
            sibling subdomain) pass without their origin being trusted.
        cookie_name: the double-submit cookie.
        header_names: request headers the token is read from.
        token_max_age: seconds a token stays valid.
        cookie_secure: set ``Secure`` on the token cookie (do, over HTTPS);
            a ``__Host-`` or ``__Secure-`` ``cookie_name`` needs it (a
            :class:`~ajaxkit.exceptions.ConfigurationError` otherwise).
        signer: signs tokens.  ``None``: ``Settings.secret_key`` (on Flask,
            else ``app.secret_key``), accepting its ``secret_key_fallbacks``
            too, through itsdangerous on Flask and
            Starlette, HMAC in the framework-free core; without any key, a
            random per-process key (tokens then do not survive a restart or
            cross processes; pages using ``fetch()`` never notice).
    """

    trusted_origins: tuple[str, ...] = ()
    allow_same_site: bool = False
    cookie_name: str = DEFAULT_COOKIE
    header_names: tuple[str, ...] = DEFAULT_HEADERS
    token_max_age: int = 60 * 60 * 24 * 7
    cookie_secure: bool = False
    signer: Signer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A near miss ("https://app.example.com/") would never match a
        # browser's Origin, here or in the CORS package given the same list.
        if isinstance(self.trusted_origins, str):
            raise ConfigurationError(
                f"CsrfPolicy(trusted_origins=...) must be a tuple of origins, "
                f"not the string {self.trusted_origins!r}."
            )
        for origin in self.trusted_origins:
            problem = origin_problem(origin)
            if problem is not None:
                raise ConfigurationError(f"CsrfPolicy(trusted_origins=...): {origin!r} {problem}.")
        # The readers are configuration's, which builds on this module.
        from ajaxkit.core.config import read_code_policy

        for name, value in read_code_policy(self).items():
            object.__setattr__(self, name, value)  # frozen: the value as it reads
        self._check_cookie()
        # Set here, not as cached properties: the first read of one gives
        # the policy a __dict__ of its own, after which CPython 3.11
        # specialises no attribute read on it (~200 instructions each, a
        # handful on every token request).
        fallback = ("origin", "cookie", *(self.header_names[:1] or ("origin",)))
        object.__setattr__(self, "fallback_headers", fallback)
        object.__setattr__(self, "fallback_headers_https", (*fallback, "referer"))
        object.__setattr__(self, "_max_age", float(self.token_max_age))

    def _check_cookie(self) -> None:
        """Refuse a token cookie browsers would drop (a ``__Host-`` name
        without ``cookie_secure``): every ``<mount>/_csrf`` was a 500."""
        try:
            Cookie(self.cookie_name, secure=self.cookie_secure, httponly=True)
        except ValueError as exc:
            raise ConfigurationError(
                f"CsrfPolicy(cookie_name={self.cookie_name!r}): {exc} Give the policy "
                "cookie_secure=True (and serve the site over HTTPS)."
            ) from None

    #: The headers the token fallback reads at once over HTTP, in this order:
    #: ``Origin``, ``Cookie``, the first of :attr:`header_names` (made once
    #: per policy).  ``Referer`` counts only over HTTPS
    #: (:attr:`fallback_headers_https`), and a later token header only when
    #: the first is absent, so neither is read otherwise: every name read
    #: costs about 1,000 instructions on Starlette.  A policy naming no token
    #: header reads ``Origin`` again in its place: the token is looked for
    #: only in a request without an ``Origin``, so that value is ``None``
    #: then, as a token header's would be.
    fallback_headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: :attr:`fallback_headers`, then ``Referer`` (made once per policy).
    fallback_headers_https: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # token_max_age as a float: the age it is compared with is one (the
    # clock's time less the issue time), and CPython 3.11 specialises no
    # comparison of a float with an int (~250 instructions a token request).
    _max_age: float = field(init=False, repr=False, compare=False)


def origin_problem(origin: object) -> str | None:
    """What keeps ``origin`` from being ``scheme://host[:port]``, or ``None``.

    Strict, because a near miss never matches a browser's ``Origin`` header,
    neither here nor in the CORS package given the same list; a trailing
    ``/`` is the common one.  A leading ``*.`` in the host trusts its
    subdomains (as :func:`origin_matches` reads it).
    """
    if not isinstance(origin, str):
        return "is not a string"
    if origin != origin.strip() or " " in origin:
        return "has spaces"
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return "has a bad port"
    if not parts.scheme or not origin.lower().startswith(parts.scheme + "://"):
        return 'has no scheme; write "https://..."'
    extra = [
        ("a path", parts.path),
        ("a query", parts.query),
        ("a fragment", parts.fragment),
        ("user info", "@" in parts.netloc),
    ]
    for what, present in extra:
        if present:
            return f"has {what}; an origin is scheme://host[:port] only"
    host = parts.hostname or ""
    if not host:
        return "has no host"
    domain = host.removeprefix("*.")
    if "*" in domain:
        return "has a '*' that is not a leading '*.' of the host"
    if "" in domain.split("."):
        return "has an empty label in its host; no browser sends such an origin"
    if domain != host and "." not in domain and domain not in _LOCAL_DOMAINS:
        # "*.com" would trust every site under a top-level domain: anyone
        # can register one there.  (A public suffix of two labels, "*.co.uk",
        # cannot be told from a domain without a list of them.)
        return f"trusts every site under {domain!r}; name a domain, as in '*.example.{domain}'"
    lower = origin == origin.lower()
    return _spelling_problem(parts.scheme, host, parts.port, parts.netloc, lower)


#: Single-label domains a wildcard may stand under: every name below them is local.
_LOCAL_DOMAINS = frozenset({"localhost"})
#: The ports a browser leaves out of an ``Origin``, by scheme (RFC 6454 §6.1).
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _spelling_problem(
    scheme: str, host: str, port: int | None, netloc: str, lower: bool
) -> str | None:
    """Why an origin is spelt otherwise than any browser sends it, or ``None``.

    A browser serializes an origin in lower case, without its scheme's
    default port and with its host in ASCII (punycode), so
    ``https://app.example.com:443`` or ``https://bücher.example`` never
    matched, without a word (nor, in upper case, in a CORS package given
    the same list, which compares it as written).
    """
    default = port is not None and port == _DEFAULT_PORTS.get(scheme)
    empty = netloc.endswith(":")
    ascii_host = host if host.isascii() else _punycode(host)
    if lower and not (default or empty or ascii_host != host):
        return None
    if not ascii_host:
        return "has a host that is not ASCII; write it in punycode, as browsers send it"
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    kept = f":{port}" if port is not None and not default else ""
    advice = f"write '{scheme}://{shown}{kept}'"
    if ascii_host != host:
        return f"has a host that is not ASCII, which browsers send in punycode; {advice}"
    if empty:
        return f"has an empty port; {advice}"
    if default:
        return f"has the default port of {scheme}, which browsers leave out of Origin; {advice}"
    return f"is not in lower case, as browsers send it and a CORS package compares it; {advice}"


def _punycode(host: str) -> str:
    """``host`` in the ASCII form browsers send (``*.`` kept), or ``""`` when it has none."""
    domain = host.removeprefix("*.")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return host[: len(host) - len(domain)] + ascii_domain


_PROCESS_SECRET = secrets.token_bytes(32)


def csrf_signer(settings: Settings) -> Signer:
    """The signer of ``settings``: the policy's, else HMAC with ``secret_key``
    (and its fallbacks)."""
    return settings.csrf.signer or _hmac_signer(signing_keys(settings, _PROCESS_SECRET))


def signing_keys(settings: Settings, default: bytes) -> tuple[str | bytes, ...]:
    """The keys tokens of ``settings`` are checked with, oldest first: its
    ``secret_key_fallbacks``, then ``secret_key`` (else ``default``), which
    signs.  The order ``itsdangerous`` takes a list of keys in."""
    return (*settings.secret_key_fallbacks, settings.secret_key or default)


@functools.lru_cache(maxsize=8)
def _hmac_signer(keys: tuple[str | bytes, ...]) -> HmacSigner:
    # One per set of keys: good signatures are remembered by the signer's identity.
    return HmacSigner(keys)


def origin_matches(origin: str, trusted: Iterable[str]) -> bool:
    """Whether ``origin`` is one of ``trusted`` (``*.`` trusts subdomains)."""
    origin = origin.lower()
    for trusted_origin in trusted:
        pattern = trusted_origin.lower().rstrip("/")
        if pattern == origin:
            return True
        scheme, sep, host = pattern.partition("://*.")
        if sep and origin.startswith(f"{scheme}://") and origin.endswith(f".{host}"):
            return True
    return False


def check_origin_headers(
    request: AjaxRequest, policy: CsrfPolicy, trusted: Callable[[], tuple[str, ...]]
) -> bool:
    """Steps 1-2: ``True`` when the headers prove the request legitimate.

    ``False`` means the request carries none of them (a non-browser client,
    an old browser), so the token must decide.  ``trusted()`` gives the
    trusted origins; it is only called when an origin must be compared, so
    a page's own ``fetch()`` (``same-origin``) costs two header lookups.

    Raises:
        CSRFFailed: the headers show a request from an untrusted site; the
            detail names the check.
    """
    return check_site_and_origin(request, request.headers.get("sec-fetch-site"), policy, trusted)


def check_site_and_origin(
    request: AjaxRequest,
    site: str | None,
    policy: CsrfPolicy,
    trusted: Callable[[], tuple[str, ...]],
) -> bool:
    """:func:`check_origin_headers` for a caller that has read ``Sec-Fetch-Site`` already.

    Each header is read once, and ``Referer`` only over HTTPS, where it
    counts: on the token fallback every lookup is a noticeable share of
    the check.
    """
    if site == "same-origin":
        return True
    headers = request.headers
    origin = headers.get("origin")
    referer = headers.get("referer") if origin is None and request.scheme == "https" else None
    return check_read_headers(request, site, origin, referer, policy=policy, trusted=trusted)


def check_read_headers(
    request: AjaxRequest,
    site: str | None,
    origin: str | None,
    referer: str | None,
    *,
    policy: CsrfPolicy,
    trusted: Callable[[], tuple[str, ...]],
) -> bool:
    """:func:`check_site_and_origin` on header values read already
    (``Sec-Fetch-Site``, ``Origin``, ``Referer``; ``None`` where absent).

    ``Referer`` counts only over HTTPS and without ``Origin``.
    """
    if site == "same-origin":
        return True
    if site is not None:
        verdict = _fetch_site(site.strip().lower(), origin, policy, trusted)
        if verdict is not None:
            return verdict
    if origin is not None:
        return _check_origin(origin.strip(), request, trusted())
    if referer and request.scheme == "https":
        # Over HTTPS a missing Origin is an older browser; its Referer
        # (which a page can trim, never forge) tells the same.
        return _check_referer(referer, request, trusted())
    return False


def _fetch_site(
    site: str, origin: str | None, policy: CsrfPolicy, trusted: Callable[[], tuple[str, ...]]
) -> bool | None:
    if site == "same-origin":
        return True
    trusted_origin = origin is not None and origin_matches(origin.strip(), trusted())
    if site == "same-site":
        if policy.allow_same_site or trusted_origin:
            return True
        raise CSRFFailed(
            "CSRF check failed: Sec-Fetch-Site is same-site and same-site requests "
            "are not allowed (trust the origin, or set allow_same_site)."
        )
    if site == "cross-site":
        if trusted_origin:
            return True
        raise CSRFFailed(
            "CSRF check failed: Sec-Fetch-Site is cross-site and the Origin is not trusted."
        )
    return None  # "none" (the user's own navigation) or unknown: the Origin decides


def _check_origin(origin: str, request: AjaxRequest, trusted: Iterable[str]) -> bool:
    if origin == "null":
        raise CSRFFailed("CSRF check failed: Origin is null (an opaque origin is never trusted).")
    if origin.lower() == request.origin.lower() or origin_matches(origin, trusted):
        return True
    raise CSRFFailed(
        f"CSRF check failed: Origin {origin} matches neither this site nor a trusted origin."
    )


def _check_referer(referer: str, request: AjaxRequest, trusted: Iterable[str]) -> bool:
    parts = urlsplit(referer)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme == "https" and (
        origin.lower() == request.origin.lower() or origin_matches(origin, trusted)
    ):
        return True
    raise CSRFFailed(
        "CSRF check failed: the Referer matches neither this site nor a trusted origin."
    )


def issue_token(policy: CsrfPolicy, signer: Signer, clock: Clock) -> tuple[str, Cookie]:
    """A fresh signed token and the cookie that carries it.

    The cookie is ``HttpOnly``: pages read the token from ``<mount>/_csrf``
    (or a server-side helper), never from ``document.cookie``, so script
    injected elsewhere on the domain cannot copy it out.
    """
    value = f"{secrets.token_urlsafe(18)}.{int(clock.time())}"
    token = signer.sign(value)
    cookie = Cookie(
        policy.cookie_name,
        token,
        max_age=policy.token_max_age,
        secure=policy.cookie_secure,
        httponly=True,
        samesite="Lax",
    )
    return token, cookie


def page_token(
    cookies: Mapping[str, str], policy: CsrfPolicy, signer: Signer, clock: Clock
) -> tuple[str, Cookie | None]:
    """The token to hand a page: the client's current one while it is valid.

    Reusing it keeps every open tab's token working; a new token (and the
    cookie to set, otherwise ``None``) is issued only when the cookie is
    absent, forged or older than half its life.
    """
    current = cookies.get(policy.cookie_name)
    if current and _age(current, signer, clock) < policy.token_max_age / 2:
        return current, None
    return issue_token(policy, signer, clock)


class VerifiedTokens:
    """Tokens whose signature checked out, by the exact token: a bounded memo of ``unsign``.

    Checking a signature (itsdangerous derives its key and computes an HMAC
    on every call) cost the token fallback more than the rest of the request
    on Starlette, and a client sends the same token on every request until
    it is renewed.  Remembering the answer is safe because it is the answer:

    - ``unsign`` is a pure function of the signer's key and the token, so a
      remembered value is what checking again would return.  Entries are
      keyed by the whole token, signature included, so a token differing in
      any character is checked afresh; and each entry names the signer that
      checked it (held, so its identity is never reused), so a token is
      never taken on another signer's word (another app, a rotated key).
    - Only valid signatures are remembered.  A forgery is checked in full
      every time (with ``hmac.compare_digest``), and garbage cannot fill
      the memo; valid tokens only come from this server.
    - What depends on time or on the request is never remembered: the
      token's age against the injected clock and ``token_max_age``, and its
      equality with the cookie, are checked on every request.
    - Bounded: past ``size`` entries the oldest goes, so many clients (or
      one minting tokens) cost only misses, never memory or a wrong answer.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._values: dict[str, tuple[Signer, str]] = {}
        self._lock = threading.Lock()

    def unsign(self, token: str, signer: Signer) -> str | None:
        """``signer.unsign(token)``, from the memo when this signer checked ``token`` before."""
        found = self._values.get(token)
        if found is not None and found[0] is signer:
            return found[1]
        value = signer.unsign(token)
        if value is not None:
            with self._lock:
                values = self._values
                if token not in values and len(values) >= self._size:
                    del values[next(iter(values))]  # the oldest (dicts keep order)
                values[token] = (signer, value)
        return value

    def __len__(self) -> int:
        return len(self._values)


#: The process's memo of verified tokens (see :class:`VerifiedTokens`).
VERIFIED = VerifiedTokens()


class _Bounded(Generic[K, V]):
    """A dict of at most ``size`` entries, the oldest dropped first; adding is locked."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            entries = self._entries
            if key not in entries and len(entries) >= self._size:
                del entries[next(iter(entries))]  # the oldest (dicts keep order)
            entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)


class PassedChecks(Generic[K]):
    """The exact inputs a pure check passed, bounded: a memo of successes only.

    For a check whose verdict is a pure function of its inputs (Django's
    token check of a cookie and a header: unmasking a token, comparing it
    with the secret), asking again answers as checking again would.  As
    with :class:`VerifiedTokens`: keyed by every input, so inputs differing
    in anything are checked afresh; a failure is never remembered, so every
    forgery is checked in full and garbage cannot fill the memo; past
    ``size`` entries the oldest goes.
    """

    def __init__(self, size: int = 1024) -> None:
        self._passed: _Bounded[K, bool] = _Bounded(size)

    def __contains__(self, inputs: K) -> bool:
        return self._passed.get(inputs) is not None

    def add(self, inputs: K) -> None:
        """Remember that the check passed ``inputs``."""
        self._passed.put(inputs, True)

    def __len__(self) -> int:
        return len(self._passed)


def _age(
    token: str, signer: Signer, clock: Clock, verified: VerifiedTokens | None = VERIFIED
) -> float:
    """Seconds since ``token`` was issued; infinite when it is not ours.

    ``verified`` remembers good signatures; the age is computed from the
    clock every time.
    """
    value = signer.unsign(token) if verified is None else verified.unsign(token, signer)
    issued = value.rpartition(".")[2] if value else ""
    return clock.time() - int(issued) if issued.isdigit() else float("inf")


def sent_token(request: AjaxRequest, policy: CsrfPolicy) -> str | None:
    """The token the request sent in one of the policy's headers."""
    for name in policy.header_names:
        value = request.headers.get(name)
        if value:
            return value.strip()
    return None


def token_hint(request: AjaxRequest, header: str) -> str:
    """Where to get a token and how to send it, naming the mount's real path.

    ``"(send the token from /ajax/_csrf in X-CSRFToken)"``: a client told
    ``/_csrf`` under a mount at ``/ajax`` fetched a path that answers 404.
    """
    mount = mount_path(request.path, request.route)
    return f"(send the token from {'<mount>' if mount is None else mount}/_csrf in {header})"


def check_token(request: AjaxRequest, policy: CsrfPolicy, signer: Signer, clock: Clock) -> None:
    """Step 3: the sent token equals the cookie, is ours and is unexpired.

    Raises:
        CSRFFailed: naming what was missing or wrong.
    """
    check_sent_token(request, sent_token(request, policy), policy, signer, clock)


def check_sent_token(
    request: AjaxRequest, sent: str | None, policy: CsrfPolicy, signer: Signer, clock: Clock
) -> None:
    """:func:`check_token` for a caller that has read the token already
    (:func:`sent_token`), so that its header is not looked up twice.

    Raises:
        CSRFFailed: naming what was missing or wrong.
    """
    _check_sent(request, sent, policy, signer, clock)


def _check_sent(
    request: AjaxRequest, sent: str | None, policy: CsrfPolicy, signer: Signer, clock: Clock
) -> int:
    """:func:`check_sent_token`, giving the token's issue time."""
    if sent is None:
        if not policy.header_names:  # no token fallback: the headers alone decide
            raise CSRFFailed(
                "CSRF check failed: no Origin or Sec-Fetch-Site header, and the CSRF "
                "policy names no token header."
            )
        raise CSRFFailed(
            "CSRF check failed: no Origin or Sec-Fetch-Site header and no token "
            f"{token_hint(request, policy.header_names[0])}."
        )
    cookie = request.cookies.get(policy.cookie_name)
    if not cookie:
        raise CSRFFailed(f"CSRF check failed: the {policy.cookie_name} cookie is missing.")
    if not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CSRFFailed("CSRF check failed: the token does not match the CSRF cookie.")
    return _check_signed(sent, policy, signer, clock)


def _check_signed(token: str, policy: CsrfPolicy, signer: Signer, clock: Clock) -> int:
    """The issue time of ``token`` after checking its signature and age."""
    value = VERIFIED.unsign(token, signer)
    issued = value.rpartition(".")[2] if value else ""
    if not issued.isdigit():
        raise CSRFFailed("CSRF check failed: the token's signature is invalid.")
    _check_age(int(issued), policy, clock)
    return int(issued)


def _check_age(issued: float, policy: CsrfPolicy, clock: Clock) -> None:
    # The same comparison as check_headers_then_token's, with the same value.
    if clock.time() - issued > policy._max_age:
        raise CSRFFailed(_EXPIRED)


_EXPIRED = "CSRF check failed: the token has expired."


def check_sent_pair(
    request: AjaxRequest,
    sent: str | None,
    cookie_header: str | None,
    policy: CsrfPolicy,
    signer: Signer,
    *,
    clock: Clock,
    passed: PassedTokens | None = None,
) -> None:
    """:func:`check_sent_token` for a caller that has read the ``Cookie`` header too.

    A pair that passed before (in ``passed``, by default
    :data:`PASSED_TOKENS`) is only checked for age; any other is checked in
    full, and remembered when it passes.

    Raises:
        CSRFFailed: naming what was missing or wrong.
    """
    if sent is not None:
        memo = PASSED_TOKENS if passed is None else passed
        key = (sent, cookie_header or "")
        found = memo.get(key, signer, policy.cookie_name)
        if found is not None:
            _check_age(found, policy, clock)
            return
        issued = _check_sent(request, sent, policy, signer, clock)
        memo.add(key, signer, policy.cookie_name, issued)
        return
    check_sent_token(request, sent, policy, signer, clock)


class PassedTokens:
    """Token and ``Cookie`` header pairs whose token check passed: a bounded memo.

    What :func:`check_sent_token` decides of a pair other than the token's
    age is a pure function of the pair, the cookie's name and the signer:
    the cookie is read from the ``Cookie`` header (``AjaxRequest.cookies``
    parses it; a batch item, whose cookies are its batch's, may not carry
    one), compared with the token, and the token's signature checked.  So,
    as with :class:`VerifiedTokens` and :class:`PassedChecks`:

    - entries are keyed by the exact token and header; each names the
      cookie and the signer (held, so its identity is never reused) it
      passed under, and is taken on no other's word (a renamed cookie,
      another app, a rotated key);
    - only successes are remembered: a forgery is checked in full every
      time, and garbage cannot fill the memo;
    - the token's issue time is remembered, never its age: the age is
      checked against the clock and ``token_max_age`` on every request;
    - past ``size`` entries the oldest goes.
    """

    def __init__(self, size: int = 1024) -> None:
        self._passed: _Bounded[tuple[str, str], tuple[Signer, str, float]] = _Bounded(size)

    def get(self, pair: tuple[str, str], signer: Signer, cookie_name: str) -> float | None:
        """The issue time of the token of a ``pair`` that passed under these, else ``None``."""
        found = self._passed.get(pair)
        if found is None or found[0] is not signer or found[1] != cookie_name:
            return None
        return found[2]

    def add(self, pair: tuple[str, str], signer: Signer, cookie_name: str, issued: int) -> None:
        """Remember that ``pair`` passed under ``signer`` and ``cookie_name``."""
        # As a float: the clock's time is one, and the age check on every
        # token request subtracts the two (CPython 3.11 specialises
        # float - float, not float - int).
        self._passed.put(pair, (signer, cookie_name, float(issued)))

    def __len__(self) -> int:
        return len(self._passed)


#: The process's memo of passed token checks (see :class:`PassedTokens`).
PASSED_TOKENS = PassedTokens()


def check_headers_then_token(
    request: AjaxRequest,
    site: str | None,
    settings: Settings,
    platform: Platform,
    passed: PassedTokens = PASSED_TOKENS,
) -> None:
    """Steps 1-3, for a caller that has read ``Sec-Fetch-Site`` (``site``) already.

    What :func:`check_site_and_origin` and then :func:`check_sent_pair` (on
    :func:`sent_token`) decide, this decides, in one frame on the common
    path, a script's request with a token it sent before; it only skips
    work whose answer is known (measured on Starlette's token fallback, of
    about 31,000 instructions the CSRF step cost there):

    - every other header is read at once, and only those that can count:
      not ``Referer`` over HTTP, nor a token header after the first unless
      the first is absent or empty (about 2,000 instructions);
    - :func:`check_read_headers` is not called when it has nothing to go on
      (no ``Sec-Fetch-Site``, ``Origin`` or HTTPS ``Referer``): it answers
      ``False`` then, so the trusted origins are not even gathered;
    - a pair that passed before (in ``passed``) is checked for age here,
      without the calls of :meth:`PassedTokens.get` and :func:`_check_age`.

    The platform's trusted origins count after the policy's; its
    ``accept_csrf_token``, when set, is asked only when the token check
    refuses a sent token, and may accept it instead.

    Raises:
        CSRFFailed: naming what was missing or wrong.
    """
    policy = settings.csrf
    if request.scheme == "https":
        origin, cookie, sent, referer = request.headers.get_many(policy.fallback_headers_https)
    else:
        origin, cookie, sent = request.headers.get_many(policy.fallback_headers)
        referer = None
    if site is not None or origin is not None or referer:
        trusted = _trusted_origins(policy, platform)
        if check_read_headers(request, site, origin, referer, policy=policy, trusted=trusted):
            return
    # The first token header, else (rarely) the next ones, as sent_token finds it.
    sent = sent.strip() if sent else sent_token(request, policy)
    # csrf_signer's own first test, inline: a call less (about 1,000 instructions).
    signer = policy.signer or csrf_signer(settings)
    try:
        found = passed._passed._entries.get((sent, cookie or "")) if sent is not None else None
        if found is not None and found[0] is signer and found[1] == policy.cookie_name:
            if settings.clock.time() - found[2] > policy._max_age:
                raise CSRFFailed(_EXPIRED)
        else:
            check_sent_pair(
                request, sent, cookie, policy, signer, clock=settings.clock, passed=passed
            )
    except CSRFFailed:
        # Asked only when ours refuses: asking whether the app has
        # Flask-WTF at all cost a token request more than our whole check.
        accept = platform.accept_csrf_token
        if accept is None or sent is None or not accept(request, sent):
            raise


def _trusted_origins(policy: CsrfPolicy, platform: Platform) -> Callable[[], tuple[str, ...]]:
    # A closure of its own: defined in its caller, it would make the
    # variables it reads cells there, slower to read on every request.
    def trusted() -> tuple[str, ...]:
        return policy.trusted_origins + platform.trusted_origins()

    return trusted
