"""Callbacks an application hands ajaxkit, checked when they are given.

``permission(request)``, ``rate_key(request)``, a live topic's
``authorize(request, topic, action)``, a live model's ``topics(record)`` and
``user_loader(request)`` are called on requests, long after registration:
one whose signature cannot take those arguments registered quietly, and
then every request it guarded was a 500 (a ``TypeError``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["as_async_function", "call_problem", "callback_problem", "is_async_callable"]


def call_problem(name: str, func: Callable[..., Any], params: tuple[str, ...]) -> str | None:
    """Why ``func`` cannot be called as ``name(*params)``, or ``None``.

    A callable whose signature cannot be read (some builtins) is given the
    benefit of the doubt.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*params)
    except TypeError:
        shown = getattr(func, "__qualname__", type(func).__qualname__)
        return (
            f"{name} is called as {name}({', '.join(params)}), "
            f"but {shown}{signature} cannot take that"
        )
    return None


def callback_problem(name: str, func: object, params: tuple[str, ...]) -> str | None:
    """Why ``func`` cannot serve as ``name(*params)`` (not callable, or a
    signature that cannot take them), or ``None``."""
    if not callable(func):
        return f"{name} must be a callable {name}({', '.join(params)}), not {func!r}"
    return call_problem(name, func, params)


def is_async_callable(func: object) -> bool:
    """Whether calling ``func`` gives a coroutine: an ``async def`` function (a
    partial or a bound method of one), or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)


def as_async_function(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, or for an object with an ``async def __call__`` an ``async def``
    function calling it.

    Hooks are awaited when :func:`inspect.iscoroutinefunction` says so, and
    it says no for such an object (a class-based permission): it was called
    as a sync function, and its coroutine, never awaited, was a true answer.
    """
    if inspect.iscoroutinefunction(func) or not is_async_callable(func):
        return func

    async def call(*args: Any) -> Any:
        return await func(*args)

    return call
