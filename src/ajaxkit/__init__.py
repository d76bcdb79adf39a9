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
    ProblemDocument,
    ProblemProfile,
    Profile,
    Settings,
    SystemClock,
)
from ajaxkit.core.models import ModelEndpoint, action
from ajaxkit.core.models import repository as _repository
from ajaxkit.core.streams import Stream
from ajaxkit.core.websocket import WebSocket
from ajaxkit.exceptions import (
    AjaxError,
    BatchNotCommitted,
    BatchNotRun,
    BatchRolledBack,
    ClientError,
    ConfigurationError,
    ConfigurationWarning,
    Conflict,
    CSRFFailed,
    EncodingError,
    FailedDependency,
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

# The ORM integrations that ship with ajaxkit, imported the first time a model
# of theirs is registered.  The package root is the one place that knows
# them: the core names none, and an entry point would be missed by a source
# checkout or a stale editable install (docs/design.md, "Repositories").
_repository.register_repository_module("django", "ajaxkit.django.repository")
_repository.register_repository_module("sqlalchemy", "ajaxkit.sqlalchemy")

__all__ = [
    "Ajax",
    "AjaxError",
    "AjaxRequest",
    "AjaxResponse",
    "BatchNotCommitted",
    "BatchNotRun",
    "BatchRolledBack",
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
    "FailedDependency",
    "FieldError",
    "Forbidden",
    "Gone",
    "Headers",
    "JSONEncoder",
    "MalformedBody",
    "MalformedJSON",
    "ManualClock",
    "MethodNotAllowed",
    "ModelEndpoint",
    "MultiDict",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "Platform",
    "PreconditionFailed",
    "PreconditionRequired",
    "ProblemDocument",
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
    "action",
]
