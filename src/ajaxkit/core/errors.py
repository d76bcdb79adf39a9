"""Exceptions → the profile's error response, and the one log record of a 5xx.

Work that runs after a write has committed (a model endpoint's
``created``/``updated``/``deleted`` hook, an observer, a live publication)
cannot change the write's answer any more: :func:`run_after_commit` logs its
failure the same way, once with an error id, and lets the caller go on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from ajaxkit.core.head import strip_for_head
from ajaxkit.core.headerfields import checked_headers
from ajaxkit.core.profile import PROBLEM_TYPE, ErrorContext, ProblemDocument
from ajaxkit.exceptions import AjaxError, EncodingError, ServerError
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = [
    "error_context",
    "log_after_commit",
    "log_background_error",
    "log_server_error",
    "render_exception",
    "run_after_commit",
]


def error_context(
    exc: BaseException,
    settings: Settings,
    request: AjaxRequest | None,
    platform: Platform,
    endpoint_name: str | None = None,
) -> ErrorContext:
    """Translate ``exc`` into our tree; a server error is logged with a new id."""
    error = exc if isinstance(exc, AjaxError) else platform.translate_exception(exc)
    if error is not None and error.headers:
        try:
            error.headers = checked_headers(error.headers, endpoint_name or "(no endpoint)")
        except ServerError as unsendable:
            # Raised with a header no response can carry (rule H4): a 500.
            unsendable.__cause__ = exc
            exc, error = unsendable, None
    cause: BaseException | None = None
    escaped = error is None  # neither ours nor the framework's: a crash
    if error is None:
        error, cause = ServerError(), exc
    error_id = None
    if error.status >= 500:
        cause = cause or (exc.__cause__ if isinstance(exc, EncodingError) else exc)
        error_id = str(uuid.uuid4())
        log_server_error(settings, request, endpoint_name, exc, error_id)
        if escaped and platform.report_exception is not None:
            _report(platform.report_exception, settings, exc)
    return ErrorContext(error, request, settings, cause, error_id)


def _report(
    report: Callable[[BaseException], None], settings: Settings, exc: BaseException
) -> None:
    """``report(exc)``; a reporter's own failure is logged, never answered."""
    try:
        report(exc)
    except Exception:
        logging.getLogger(settings.logger_name).exception(
            "Reporting an unhandled %s to the framework failed", type(exc).__name__
        )


def render_exception(
    exc: BaseException,
    settings: Settings,
    request: AjaxRequest | None,
    platform: Platform,
    endpoint_name: str | None = None,
) -> AjaxResponse:
    """Turn any exception into the profile's error response (logging 5xx)."""
    context = error_context(exc, settings, request, platform, endpoint_name)
    try:
        response = settings.profile.render_error(context)
    except Exception:
        logging.getLogger(settings.logger_name).exception("The error response failed to render")
        response = AjaxResponse(
            status=500, body=_LAST_RESORT, headers={"Content-Type": PROBLEM_TYPE}
        )
    # A problem answering HEAD is GET's problem without its body, length kept.
    return strip_for_head(request, response)


# Encoded once, here, by the plain orjson: the settings' encoder may be what failed.
_LAST_RESORT = orjson.dumps(
    ProblemDocument(
        type="about:blank",
        title=ServerError.title,
        status=ServerError.status,
        detail=ServerError.detail,
        instance=None,
        code=ServerError.code,
    )
)


def log_server_error(
    settings: Settings,
    request: AjaxRequest | None,
    endpoint_name: str | None,
    exc: BaseException,
    error_id: str,
) -> None:
    """Log ``exc`` once, with its traceback, the endpoint and the error id the client sees."""
    _log_error(settings.logger_name, request, endpoint_name, exc, error_id)


def log_after_commit(
    logger_name: str, request: AjaxRequest | None, where: str, exc: BaseException
) -> str:
    """Log ``exc``, raised by ``where`` after its write committed, like a
    server error (once, traceback and a new error id); return the id.

    No client sees this id: the write's answer stands.  It ties the record
    to the request in the log, as for any 5xx.
    """
    error_id = str(uuid.uuid4())
    _log_error(logger_name, request, f"{where} (after commit)", exc, error_id)
    return error_id


def log_background_error(logger_name: str, where: str, exc: BaseException) -> str:
    """Log ``exc``, raised by work no request waits for (``where``: a reader
    thread, a subscriber's callback), like a server error: once, with its
    traceback and a new error id; return the id.

    Such work must go on after a failure, so nobody else reports it.
    """
    error_id = str(uuid.uuid4())
    logging.getLogger(logger_name).error(
        "%s in %s (error id %s): %s",
        type(exc).__name__,
        where,
        error_id,
        exc,
        exc_info=exc,
        extra={"error_id": error_id, "endpoint": where},
    )
    return error_id


def run_after_commit(
    logger_name: str, request: AjaxRequest | None, where: str, work: Callable[[], object]
) -> None:
    """Run ``work``, which follows a committed write; if it raises, log it
    (:func:`log_after_commit`) and return as if it had not.

    The row is stored whatever ``work`` does: letting its error through
    would answer a stored write with a 500 (which a client may well send
    again) and skip the after-commit work still to run.
    """
    try:
        work()
    except Exception as exc:
        log_after_commit(logger_name, request, where, exc)


def _log_error(
    logger_name: str,
    request: AjaxRequest | None,
    endpoint_name: str | None,
    exc: BaseException,
    error_id: str,
) -> None:
    where = endpoint_name or "(no endpoint)"
    method = request.method if request else "-"
    path = request.path if request else "-"
    logging.getLogger(logger_name).error(
        "%s in endpoint %s for %s %s (error id %s): %s",
        type(exc).__name__,
        where,
        method,
        path,
        error_id,
        exc,
        exc_info=exc,
        extra={"error_id": error_id, "endpoint": where},
    )
