"""The django-ajax wire format as a profile.

Success: ``{"success": true, "data": <value>}`` (an
:class:`EnvelopedResponse` adds its metadata at the top level), always 200:
a ``(value, 201)`` tuple is data here, as it was in the original.  Errors:
``{"success": false, "data": {"code": <status>, "message": <msg>}}`` plus
the error's extra members at the top level.  A server error says
``"Internal server error."``; with ``debug`` on, the exception's message and
a ``traceback`` of ``{"file", "line", "in", "code"}`` frames whose files are
relative to the import roots, never absolute paths.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ajaxkit.core.profile import JSON_TYPE, ErrorContext, ProblemProfile
from ajaxkit.exceptions import ValidationFailed
from ajaxkit.types import AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.settings import Settings

__all__ = ["SERVER_ERROR_MESSAGE", "DjangoAjaxProfile", "EnvelopedResponse", "relative_frames"]

SERVER_ERROR_MESSAGE = "Internal server error."


@dataclass
class EnvelopedResponse:
    """A result whose ``metadata`` is merged into the top level of the envelope.

    ``EnvelopedResponse(data=rows, metadata={"total": 12})`` answers
    ``{"total": 12, "success": true, "data": rows}``; ``success`` and
    ``data`` cannot be overridden by the metadata.
    """

    data: Any
    metadata: dict[str, Any] = field(default_factory=dict)


class DjangoAjaxProfile(ProblemProfile):
    """``{"success": ..., "data": ...}`` envelopes; tuples are data."""

    tuple_sets_status = False
    auth_before_method = False

    def render_result(
        self, value: Any, status: int, headers: dict[str, str], settings: Settings
    ) -> AjaxResponse:
        if isinstance(value, EnvelopedResponse):
            body = {**value.metadata, "success": True, "data": value.data}
        else:
            body = {"success": True, "data": value}
        # The original answered ``None`` with ``"data": null`` and 200, not 204.
        headers["Content-Type"] = JSON_TYPE
        return AjaxResponse(status=200, body=settings.encoder.dumps(body), headers=headers)

    def render_error(self, context: ErrorContext) -> AjaxResponse:
        error, settings = context.error, context.settings
        body: dict[str, Any] = {
            "success": False,
            "data": {"code": error.status, "message": self.message(context)},
        }
        if error.expose or settings.debug:
            body.update(error.extra)
            if isinstance(error, ValidationFailed):
                body["errors"] = error.errors
        if settings.debug and context.cause is not None:
            body["traceback"] = relative_frames(context.cause)
        headers = {**error.headers, "Content-Type": JSON_TYPE}
        return AjaxResponse(status=error.status, body=settings.encoder.dumps(body), headers=headers)

    def message(self, context: ErrorContext) -> str:
        """The ``message``: the error's own, or the fixed server-error text."""
        error = context.error
        if error.expose:
            return str(error.detail)
        if context.settings.debug and context.cause is not None:
            return str(context.cause)
        return SERVER_ERROR_MESSAGE


def relative_frames(cause: BaseException) -> list[dict[str, Any]]:
    """The traceback of ``cause`` as django-ajax showed it, minus absolute paths."""
    return [
        {
            "file": _relative(frame.filename),
            "line": frame.lineno,
            "in": frame.name,
            "code": frame.line,
        }
        for frame in traceback.extract_tb(cause.__traceback__)
    ]


def _relative(filename: str) -> str:
    # Relative to the deepest import root holding the file ("myapp/endpoints.py",
    # "django/db/models/query.py"): the client learns the module, not the disk.
    if not os.path.isabs(filename):
        return filename
    roots = [os.path.abspath(entry or os.curdir) for entry in sys.path]
    holding = [root for root in roots if filename.startswith(root.rstrip(os.sep) + os.sep)]
    if not holding:
        return os.path.basename(filename)
    return os.path.relpath(filename, max(holding, key=len))
