"""ajaxkit: AJAX handlers that are correct by default, the same in Django, Flask and Starlette.

Write a handler once::

    from ajaxkit import Ajax

    api = Ajax()

    @api.endpoint
    def hello(request):
        return {"message": "Hello, World!"}

and mount ``api`` with ``ajaxkit.django``, ``ajaxkit.flask`` or ``ajaxkit.starlette``.
"""

from __future__ import annotations

from ajaxkit.core import (
    Ajax,
    Clock,
    Endpoint,
    ErrorContext,
    JSONEncoder,
    ManualClock,
    Platform,
    ProblemProfile,
    Profile,
    Settings,
    SystemClock,
)
from ajaxkit.core.streams import Stream
from ajaxkit.core.websocket import WebSocket
from ajaxkit.exceptions import (
    AjaxError,
    ClientError,
    ConfigurationError,
    ConfigurationWarning,
    Conflict,
    CSRFFailed,
    EncodingError,
    FieldError,
    Forbidden,
    Gone,
    MalformedBody,
    MalformedJSON,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    RegistrationError,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    WebSocketDisconnect,
)
from ajaxkit.types import (
    AjaxRequest,
    AjaxResponse,
    Cookie,
    Headers,
    MultiDict,
    ResponseHeaders,
    UploadedFile,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "Ajax",
    "AjaxError",
    "AjaxRequest",
    "AjaxResponse",
    "CSRFFailed",
    "ClientError",
    "Clock",
    "ConfigurationError",
    "ConfigurationWarning",
    "Conflict",
    "Cookie",
    "EncodingError",
    "Endpoint",
    "ErrorContext",
    "FieldError",
    "Forbidden",
    "Gone",
    "Headers",
    "JSONEncoder",
    "MalformedBody",
    "MalformedJSON",
    "ManualClock",
    "MethodNotAllowed",
    "MultiDict",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "Platform",
    "PreconditionFailed",
    "PreconditionRequired",
    "ProblemProfile",
    "Profile",
    "RegistrationError",
    "ResponseHeaders",
    "ServerError",
    "ServiceUnavailable",
    "Settings",
    "Stream",
    "SystemClock",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "UploadedFile",
    "ValidationFailed",
    "WebSocket",
    "WebSocketDisconnect",
]
