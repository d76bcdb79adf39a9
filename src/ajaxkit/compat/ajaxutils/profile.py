"""The django-ajaxutils wire format as a profile.

Success is the bare JSON value (``(body, status)`` tuples set the status);
every error is ``{"status": "error", "error": "<message>"}`` with the error's
status.  The messages the original package produced are kept word for word,
so JavaScript that compares them keeps working; errors it never produced
(500, 403, CSRF, validation) use the same shape instead of an HTML page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ajaxkit.core.profile import JSON_TYPE, ErrorContext, ProblemProfile
from ajaxkit.exceptions import AjaxError, ValidationFailed, error_class_for_status
from ajaxkit.types import AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.settings import Settings

__all__ = ["MESSAGES", "AjaxUtilsProfile"]

#: Fixed messages by error code; the first three are the original package's.
MESSAGES = {
    "not_authenticated": "Unauthorized",
    "method_not_allowed": "Method not allowed",
    "not_found": "Not found",
    "forbidden": "Forbidden",
    "csrf_failed": "CSRF verification failed",
    "internal_error": "Internal server error",
    "encoding_failed": "Internal server error",
}


class AjaxUtilsProfile(ProblemProfile):
    """``{"status": "error", "error": ...}`` errors; login checked before method."""

    tuple_sets_status = True
    auth_before_method = True
    # The original encoded whatever the view returned: None was 200 ``null``.
    none_status = 200

    def render_error(self, context: ErrorContext) -> AjaxResponse:
        return _envelope(context.error, self.message(context), context.settings)

    def message(self, context: ErrorContext) -> str:
        """The ``error`` text: the original's fixed wording, else the detail."""
        return MESSAGES.get(context.error.code) or context.public_detail

    def render_native(self, native: Any, platform: Platform, settings: Settings) -> AjaxResponse:
        summary = platform.describe_native(native) if platform.describe_native else None
        if summary is None or summary.status < 400:
            return AjaxResponse(native=native)
        # The original turned an error response into its envelope, keeping
        # the status and using the response's text as the message, whatever
        # the status: the view wrote that text for the client, so neither the
        # fixed messages nor the hiding of 500 details apply to it.
        text = summary.body.decode("utf-8", "replace")
        return _envelope(error_class_for_status(summary.status)(text), text, settings)


def _envelope(error: AjaxError, message: str, settings: Settings) -> AjaxResponse:
    body: dict[str, Any] = {"status": "error", "error": message}
    if isinstance(error, ValidationFailed):
        body["errors"] = error.errors
    headers = {**error.headers, "Content-Type": JSON_TYPE}
    return AjaxResponse(status=error.status, body=settings.encoder.dumps(body), headers=headers)
