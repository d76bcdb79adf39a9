"""django-ajax's decorators for ad-hoc endpoints and endpoint methods."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ajaxkit.compat.django_ajax.exceptions import AJAXError

__all__ = ["allowed_methods", "login_required"]

F = TypeVar("F", bound=Callable[..., Any])


def login_required(func: F) -> F:
    """Refuse anonymous users with 403 ``"User must be authenticated."``.

    Works on functions taking the request first and on endpoint methods
    (``self, request``).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = getattr(_request(args), "user", None)
        if user is None or not user.is_authenticated:
            raise AJAXError(403, "User must be authenticated.")
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def allowed_methods(*methods: str) -> Callable[[F], F]:
    """Refuse with 403 ``"Access denied."`` unless the first argument's
    ``method`` is one of ``methods``, compared as written, as the original
    compared it.

    On a view that is the request's HTTP method (``@allowed_methods("POST")``);
    on a model endpoint's method it is the endpoint's operation name, so
    ``@allowed_methods("get", "list")`` on ``authenticate`` allows those
    operations only.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not args or getattr(args[0], "method", None) not in methods:
                raise AJAXError(403, "Access denied.")
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _request(args: tuple[Any, ...]) -> Any:
    # ``request`` is the first argument of a function, the second of a method.
    for arg in args[:2]:
        if hasattr(arg, "method") and hasattr(arg, "META"):
            return arg
    return None
