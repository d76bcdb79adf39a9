"""The Django facts the core needs: native responses, exceptions, CSRF, threads.

Django's own exceptions are translated here and nowhere else; CSRF is
Django's real :class:`~django.middleware.csrf.CsrfViewMiddleware` check,
made to raise :class:`~ajaxkit.CSRFFailed` instead of rendering its HTML page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponseBase, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware

from ajaxkit.core.platform import Platform, declare
from ajaxkit.django.adapter import DjangoBody
from ajaxkit.exceptions import (
    AjaxError,
    ClientError,
    CSRFFailed,
    Forbidden,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
)
from ajaxkit.types import AjaxRequest, NativeSummary

__all__ = ["DJANGO_PLATFORM"]


def _message(exc: BaseException) -> str | None:
    return str(exc) or None


# Most specific first: RequestDataTooBig is a SuspiciousOperation.  Http404
# and PermissionDenied messages are written by the developer for the client;
# SuspiciousOperation text is about an attack and stays hidden, as in Django.
_TRANSLATIONS: tuple[tuple[type[BaseException], Callable[[BaseException], AjaxError]], ...] = (
    (Http404, lambda exc: NotFound(_message(exc))),
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


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, failing with our exception instead of its 403 page."""

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        raise CSRFFailed(f"CSRF verification failed: {reason}")


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
    has_secret = settings.CSRF_USE_SESSIONS or settings.CSRF_COOKIE_NAME in native.COOKIES
    return native.method == "POST" and native.content_type in _FORMS and bool(has_secret)


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


def check_csrf(request: AjaxRequest, limit: int) -> None:
    """Run Django's CSRF check on the native request; raise CSRFFailed on failure."""
    native: HttpRequest = request.native
    if _reads_form(native):
        _buffer_body(native, limit)
    # Built per call: the checker caches settings (trusted origins), which
    # may change under override_settings.
    _CsrfCheck(_get_response).process_view(native, _protected_view, (), {})


def describe_native(response: HttpResponseBase) -> NativeSummary:
    """Status, body and content type of a Django response (for compat profiles)."""
    body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
    content_type = response.headers.get("Content-Type")
    return NativeSummary(response.status_code, body, content_type)


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
        native_response_types=(HttpResponseBase,),
        translate_exception=translate_exception,
        check_csrf=check_csrf,
        run_in_thread=run_in_thread,
        describe_native=describe_native,
        request_types=(HttpRequest,),
    )
)
