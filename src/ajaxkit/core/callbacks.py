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

__all__ = ["call_problem", "callback_problem"]


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
