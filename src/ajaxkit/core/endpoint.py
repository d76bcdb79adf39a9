"""An endpoint: a handler plus everything registration learned about it."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from asgiref.sync import async_to_sync

from ajaxkit.core.binding import HandlerShape, analyse

__all__ = ["Endpoint", "Permission", "make_endpoint"]

#: ``permission(request) -> bool`` (or an awaitable of it); ``False`` means 403.
Permission = Callable[..., "bool | Awaitable[bool]"]
RequestArg = Literal["ajax", "native"]


@dataclass(frozen=True, eq=False)
class Endpoint:
    """A registered handler.

    Attributes:
        route: the route pattern below the mount.
        func: the handler as the user wrote it.
        methods: upper-case methods it answers.
        login_required: anonymous requests get 401.
        permission: checked after authentication; falsy means 403.
        csrf_exempt: skip the platform's CSRF check for unsafe methods.
        request_arg: pass the :class:`~ajaxkit.AjaxRequest` (``"ajax"``) or
            the framework's own request (``"native"``, for wrapped views).
        options: room for later pipeline steps (rate limits, ...).
    """

    route: str
    func: Callable[..., Any]
    methods: frozenset[str]
    shape: HandlerShape
    login_required: bool = False
    permission: Permission | None = None
    csrf_exempt: bool = False
    request_arg: RequestArg = "ajax"
    options: Mapping[str, Any] = field(default_factory=dict)
    is_async: bool = False
    sync_func: Callable[..., Any] = field(default=lambda: None, repr=False)

    @property
    def name(self) -> str:
        """A readable name for logs: the handler's qualified name."""
        return getattr(self.func, "__qualname__", repr(self.func))


def make_endpoint(
    route: str,
    func: Callable[..., Any],
    *,
    methods: Iterable[str],
    path_names: frozenset[str] = frozenset(),
    **options: Any,
) -> Endpoint:
    """Analyse ``func`` once and build its :class:`Endpoint`."""
    is_async = inspect.iscoroutinefunction(func)
    return Endpoint(
        route=route,
        func=func,
        methods=frozenset(m.upper() for m in methods),
        shape=analyse(func, path_names),
        is_async=is_async,
        # Built once: asgiref's wrapper is what lets an async handler run
        # under a WSGI server, without an event loop per call site.
        sync_func=async_to_sync(func) if is_async else func,
        **options,
    )
