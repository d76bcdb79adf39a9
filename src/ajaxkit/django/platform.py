"""The Django facts the core needs: native responses, exceptions, CSRF, threads.

Django's own exceptions are translated here and nowhere else; CSRF is
Django's real :class:`~django.middleware.csrf.CsrfViewMiddleware` check,
made to raise :class:`~ajaxkit.CSRFFailed` instead of rendering its HTML page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.files.uploadedfile import UploadedFile
from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponseBase, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import (
    REASON_CSRF_TOKEN_MISSING,
    REASON_NO_CSRF_COOKIE,
    CsrfViewMiddleware,
    get_token,
)
from django.utils.functional import Promise

from ajaxkit.core.csrf import PassedChecks, token_hint
from ajaxkit.core.platform import Platform, amend_status_code, declare, view_decorator_check
from ajaxkit.django.adapter import DjangoBody
from ajaxkit.django.decorators import view_decorator_advice
from ajaxkit.exceptions import (
    AjaxError,
    ClientError,
    ConfigurationError,
    CSRFFailed,
    Forbidden,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
)
from ajaxkit.types import AjaxRequest, Cookie, NativeSummary

__all__ = ["DJANGO_PLATFORM"]


def _message(exc: BaseException) -> str | None:
    return str(exc) or None


#: What ``get_object_or_404`` and ``get_list_or_404`` (and their async
#: twins) say: Django's words, not the developer's, and they name the model
#: class, which Django's own 404 page shows only with ``DEBUG``.
_SHORTCUT_NOT_FOUND = re.compile(r"No \w+ matches the given query\.")


def _not_found(exc: BaseException) -> NotFound:
    """``Http404`` as our 404: the developer's message as ``detail``, but
    Django's shortcut phrase, like a bare ``Http404()``, gives the default
    (as werkzeug's and Starlette's stock phrases do, rule P7)."""
    message = _message(exc)
    if message is not None and _SHORTCUT_NOT_FOUND.fullmatch(message):
        return NotFound()
    return NotFound(message)


# Most specific first: RequestDataTooBig is a SuspiciousOperation.  Http404
# and PermissionDenied messages are written by the developer for the client
# (bar Django's own shortcut phrase); SuspiciousOperation text is about an
# attack and stays hidden, as in Django.
_TRANSLATIONS: tuple[tuple[type[BaseException], Callable[[BaseException], AjaxError]], ...] = (
    (Http404, _not_found),
    (PermissionDenied, lambda exc: Forbidden(_message(exc))),
    (RequestDataTooBig, lambda exc: PayloadTooLarge()),
    (SuspiciousOperation, lambda exc: ClientError()),
    (BadRequest, lambda exc: ClientError()),
    # The client went away mid-body; Starlette's body reader says the same.
    (
        UnreadablePostError,
        lambda exc: ClientError("The client disconnected before sending the whole body."),
    ),
    # Raised by request.POST, which Django's CSRF check reads, for a
    # multipart body the core would refuse too (no boundary, say).
    (MultiPartParserError, lambda exc: MalformedBody("The multipart body could not be parsed.")),
)


def translate_exception(exc: BaseException) -> AjaxError | None:
    """Django's own HTTP-meaning exceptions as our errors; ``None`` for the rest."""
    for exc_type, make in _TRANSLATIONS:
        if isinstance(exc, exc_type):
            error = make(exc)
            error.__cause__ = exc
            return error
    return None


class _PerRequestSettings(NamedTuple):
    """The Django settings ajaxkit reads on every request (:func:`_per_request`)."""

    csrf_use_sessions: bool
    csrf_cookie_name: str
    csrf_header_name: str
    csrf_trusted_origins: tuple[str, ...]
    session_cookie_name: str


@lru_cache(maxsize=1)
def _per_request() -> _PerRequestSettings:
    """The settings every request needs, read once and again after they change.

    A read through ``django.conf.settings`` costs ~3,000 CPU instructions
    (``LazyObject.__getattribute__`` is Python, and fails an attribute lookup
    inside), and a CSRF-checked POST made six.  Forgotten when Django says a
    setting changed (:func:`_forget`), as Django's own caches are; changing
    ``settings`` in place at run time, which Django does not support, is
    not seen.
    """
    return _PerRequestSettings(
        bool(settings.CSRF_USE_SESSIONS),
        settings.CSRF_COOKIE_NAME,
        settings.CSRF_HEADER_NAME,
        _as_patterns(settings.CSRF_TRUSTED_ORIGINS),
        settings.SESSION_COOKIE_NAME,
    )


def _as_patterns(origins: Iterable[str]) -> tuple[str, ...]:
    """``CSRF_TRUSTED_ORIGINS`` as the core reads origins: Django's
    ``https://*.example.com`` trusts ``example.com`` and its subdomains
    (``is_same_domain``), the core's the subdomains only, so the domain is
    added; otherwise a page on it that Django let through was refused."""
    patterns: list[str] = []
    for origin in origins:
        patterns.append(origin)
        scheme, wildcard, domain = origin.partition("://*.")
        if wildcard:
            patterns.append(f"{scheme}://{domain}")
    return tuple(patterns)


def _forget(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` (``override_settings``, pytest-django's ``settings``)."""
    if setting in _PER_REQUEST_NAMES:
        _per_request.cache_clear()


_PER_REQUEST_NAMES = frozenset(
    {
        "CSRF_USE_SESSIONS",
        "CSRF_COOKIE_NAME",
        "CSRF_HEADER_NAME",
        "CSRF_TRUSTED_ORIGINS",
        "SESSION_COOKIE_NAME",
    }
)
setting_changed.connect(_forget, dispatch_uid="ajaxkit.django.platform._forget")


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, failing with our exception instead of its 403 page.

    It trusts ajaxkit's trusted origins as well as ``CSRF_TRUSTED_ORIGINS``
    (one list for CSRF and CORS, whichever framework), by the same rules.
    """

    def __init__(self, get_response: Any, trusted: tuple[str, ...]) -> None:
        super().__init__(get_response)
        self._trusted = trusted

    @cached_property
    def csrf_trusted_origins_hosts(self) -> list[str]:
        return [urlsplit(origin).netloc.lstrip("*") for origin in self._trusted]

    @cached_property
    def allowed_origins_exact(self) -> set[str]:
        return {origin for origin in self._trusted if "*" not in origin}

    @cached_property
    def allowed_origin_subdomains(self) -> defaultdict[str, list[str]]:
        subdomains: defaultdict[str, list[str]] = defaultdict(list)
        for parsed in (urlsplit(origin) for origin in self._trusted if "*" in origin):
            subdomains[parsed.scheme].append(parsed.netloc.lstrip("*"))
        return subdomains

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        raise _Refused(reason)

    def _check_token(self, request: HttpRequest) -> None:
        # Unmasking a 64-character token in a generator is most of what
        # Django's check costs, and a client sends the same cookie and
        # token on every request until they change.
        inputs = _token_inputs(request)
        if inputs is not None and inputs in _PASSED:
            return
        super()._check_token(request)  # type: ignore[misc]
        if inputs is not None:
            _PASSED.add(inputs)


#: The (cookie, token) pairs Django's token check passed (see _token_inputs).
_PASSED: PassedChecks[tuple[str, str]] = PassedChecks()


def _token_inputs(request: HttpRequest) -> tuple[str, str] | None:
    """All Django's token check reads, when that is one cookie and one header.

    Then its verdict is a pure function of the pair (the cookie's format,
    the token's, and whether the unmasked token equals the secret), read
    under the settings' names of this request.  ``None`` where it reads
    more: the session (``CSRF_USE_SESSIONS``), or ``request.POST`` that
    may hold ``csrfmiddlewaretoken`` (a form, or one someone set).
    """
    if request.method == "POST" and (request.content_type in _FORMS or "_post" in request.__dict__):
        return None
    read = _per_request()
    if read.csrf_use_sessions:
        return None
    cookie = request.COOKIES.get(read.csrf_cookie_name)
    token = request.META.get(read.csrf_header_name)
    if cookie is None or token is None:
        return None
    return cookie, token


class _Refused(Exception):
    """Django's reason for refusing, raised out of the shared checker."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=16)
def _checker(trusted: tuple[str, ...]) -> _CsrfCheck:
    """One checker per list of trusted origins, shared as Django shares its
    middleware: building one per request (and parsing the origins again)
    cost a checked request about a third of what the check costs."""
    return _CsrfCheck(_get_response, trusted)


def _refusal(reason: str, request: AjaxRequest) -> CSRFFailed:
    if reason in _NO_TOKEN:
        reason = f"{reason} {token_hint(request, _token_header())}"
    return CSRFFailed(f"CSRF verification failed: {reason}")


#: Django's reasons a token would cure: they say where to get one.
_NO_TOKEN = frozenset({REASON_NO_CSRF_COOKIE, REASON_CSRF_TOKEN_MISSING})


def _token_header() -> str:
    """The header Django reads the token from, as a client writes it."""
    name = _per_request().csrf_header_name
    if name == "HTTP_X_CSRFTOKEN":  # Django's default, spelt as its docs spell it
        return "X-CSRFToken"
    return name.removeprefix("HTTP_").replace("_", "-").title()


def _protected_view(request: HttpRequest) -> HttpResponseBase:
    """Stands for our (``csrf_exempt``) view so the check is not skipped; never called."""
    raise AssertionError("not a real view")


def _get_response(request: HttpRequest) -> HttpResponseBase:
    """Never called: only ``process_view`` of the checker runs."""
    raise AssertionError("not a real middleware chain")


_FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _reads_form(native: HttpRequest) -> bool:
    """Whether Django's check will parse the body: a form POST once a secret is present.

    Without a CSRF cookie (or session secret) Django refuses first, so the
    body of a forged or cookie-less request is never read.
    """
    # Settings last: each read through django.conf.settings costs more than
    # the rest, and a JSON body needs none.
    if native.method != "POST" or native.content_type not in _FORMS:
        return False
    read = _per_request()
    return read.csrf_use_sessions or read.csrf_cookie_name in native.COOKIES


def _buffer_body(native: HttpRequest, limit: int) -> None:
    """Buffer the form body, at most ``limit`` bytes, before Django's check parses it.

    Django looks for the token in ``request.POST``; parsing a buffered copy
    leaves the raw body readable for the core (otherwise:
    ``RawPostDataException``).  The read goes through :class:`DjangoBody`, so
    ajaxkit's ``max_body_size`` governs, not ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
    a body over it cannot be judged without reading it all, so it is a 413.
    """
    declared = native.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    if len(DjangoBody(native).read(limit)) > limit:
        raise PayloadTooLarge()


def check_csrf(request: AjaxRequest, trusted: tuple[str, ...], limit: int) -> None:
    """Run Django's CSRF check on the native request; raise CSRFFailed on failure.

    ``trusted`` already holds ``CSRF_TRUSTED_ORIGINS`` (:func:`trusted_origins`);
    a form body is read at most ``limit`` bytes.
    """
    native: HttpRequest = request.native
    if _reads_form(native):
        _buffer_body(native, limit)
    # Chosen per call by the trusted origins, which override_settings may
    # change between requests; the checker caches what it parses.
    try:
        _checker(trusted).process_view(native, _protected_view, (), {})
    except _Refused as refused:
        raise _refusal(refused.reason, request) from None


def csrf_check_blocks(request: AjaxRequest) -> bool:
    """Whether Django's check may do I/O: a secret kept in the session (a
    session read) or a form body to parse for its token.  Otherwise it only
    reads headers and a cookie, which needs no thread."""
    return _per_request().csrf_use_sessions or _reads_form(request.native)


def trusted_origins() -> tuple[str, ...]:
    """``CSRF_TRUSTED_ORIGINS`` (as it is now: ``override_settings`` works)."""
    return _per_request().csrf_trusted_origins


def credential_cookies() -> tuple[str, ...]:
    """The session cookie (``SESSION_COOKIE_NAME``, as it is now), which
    Django's ``request.user`` is loaded from when first read."""
    return (_per_request().session_cookie_name,)


def issue_csrf_token(request: AjaxRequest) -> tuple[str, Cookie | None]:
    """Django's own token (``get_token``) and its ``csrftoken`` cookie.

    The cookie is set here as ``CsrfViewMiddleware`` would, so ``_csrf``
    works even on a project without the middleware; with
    ``CSRF_USE_SESSIONS`` the secret lives in the session and no cookie is set.
    """
    native: HttpRequest = request.native
    token = get_token(native)
    if settings.CSRF_USE_SESSIONS:
        return token, None
    try:
        cookie = Cookie(
            settings.CSRF_COOKIE_NAME,
            native.META["CSRF_COOKIE"],
            max_age=settings.CSRF_COOKIE_AGE,
            path=settings.CSRF_COOKIE_PATH,
            domain=settings.CSRF_COOKIE_DOMAIN,
            secure=settings.CSRF_COOKIE_SECURE,
            httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
    except ValueError as exc:
        # The attributes it names are Django's CSRF_COOKIE_<ATTRIBUTE> settings.
        raise ConfigurationError(
            f"Django's CSRF_COOKIE_* settings describe a cookie that cannot be set: {exc} "
            "(secure=True is CSRF_COOKIE_SECURE = True, samesite CSRF_COOKIE_SAMESITE, "
            "path CSRF_COOKIE_PATH, domain CSRF_COOKIE_DOMAIN.)"
        ) from exc
    return token, cookie


def describe_native(response: HttpResponseBase) -> NativeSummary:
    """Status, body, content type and headers of a Django response, its
    cookies written as Django's handlers write them."""
    body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
    content_type = response.headers.get("Content-Type")
    cookies = [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
    headers = (*response.items(), *cookies)
    return NativeSummary(response.status_code, body, content_type, headers, response.streaming)


async def run_in_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run blocking ``func`` the way Django runs sync code from async views.

    Thread-sensitive, so ORM calls share the one thread that owns the
    database connection, as Django requires.
    """
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


#: The platform every Django view of ajaxkit dispatches with.
DJANGO_PLATFORM = declare(
    Platform(
        name="django",
        user_source="'django.contrib.auth.middleware.AuthenticationMiddleware' to MIDDLEWARE",
        credential_cookies=credential_cookies,
        native_response_types=(HttpResponseBase,),
        translate_exception=translate_exception,
        check_csrf=check_csrf,
        csrf_check_blocks=csrf_check_blocks,
        issue_csrf_token=issue_csrf_token,
        trusted_origins=trusted_origins,
        run_in_thread=run_in_thread,
        describe_native=describe_native,
        amend_native=amend_status_code,
        request_types=(HttpRequest,),
        check_decorator=view_decorator_check(view_decorator_advice),
        upload_types=(UploadedFile,),
        # gettext_lazy() and reverse_lazy() text, as Django's JsonResponse
        # writes it: in the language active while the answer is encoded.
        value_types=((Promise, str),),
    )
)
