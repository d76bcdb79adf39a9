"""django-ajax's exceptions, as members of ajaxkit's one exception tree.

``raise AJAXError(409, "Already booked.", slot=3)`` answers
``{"success": false, "data": {"code": 409, "message": "Already booked."}, "slot": 3}``
with status 409.  Each status gets its own subclass of both
:class:`AJAXError` and ajaxkit's class for that status (404 →
:class:`~ajaxkit.NotFound`), so the pipeline sees an ordinary error with the
right ``status`` (the original only knew 400, 403, 404, 405 and 500 and
crashed on any other).
"""

from __future__ import annotations

from typing import Any

from ajaxkit.exceptions import AjaxError, error_class_for_status

__all__ = ["AJAXError", "AlreadyRegistered", "NotRegistered", "PrimaryKeyMissing"]


class AlreadyRegistered(Exception):
    """The model already has an endpoint."""


class NotRegistered(Exception):
    """The model has no endpoint."""


class PrimaryKeyMissing(Exception):
    """An operation that needs a record was called without one."""


class AJAXError(AjaxError):
    """An error with the status and message the client should see.

    Args:
        code: the HTTP status (any, 4xx or 5xx).
        msg: the message; a lazily translated string is fine.
        extra: added to the top level of the error body (``errors=...``).

    Attributes:
        msg: the message as given.
    """

    expose = True

    def __new__(cls, code: int, msg: Any = "", **extra: Any) -> AJAXError:
        return super().__new__(_with_status(cls, int(code)), code, msg)

    def __init__(self, code: int, msg: Any = "", **extra: Any) -> None:
        self.msg = msg
        # The detail stays lazy until the response is rendered, so a
        # translated message is rendered in the request's language.
        super().__init__(msg, **extra)


_BY_STATUS: dict[tuple[type[AJAXError], int], type[AJAXError]] = {}


def _with_status(cls: type[AJAXError], status: int) -> type[AJAXError]:
    if cls.status == status and "status" in vars(cls):
        return cls
    made = _BY_STATUS.get((cls, status))
    if made is None:
        base = error_class_for_status(status)
        attrs = {"status": status, "code": base.code, "title": base.title, "expose": True}
        made = _BY_STATUS[(cls, status)] = type(f"{cls.__name__}{status}", (cls, base), attrs)
    return made
