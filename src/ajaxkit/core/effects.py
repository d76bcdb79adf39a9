"""Effects and the two drivers that perform them: one flow, sync or async.

Every decision of the pipeline is a generator that *yields* an
:class:`Effect` whenever it needs I/O (load the user, read the body, run the
handler, ask a store).  :func:`run` performs effects synchronously (WSGI:
Django, Flask), :func:`arun` on the running event loop (ASGI: Starlette,
FastAPI, Django async views) — the shape of httpx's ``Auth.auth_flow``, so no
decision is ever written twice.  An exception raised while performing an
effect is thrown back into the generator at the ``yield``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from asgiref.sync import async_to_sync

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform

__all__ = ["IO", "Effect", "Flow", "arun", "blocking", "call_either", "run"]

T = TypeVar("T")


class Effect(Protocol):
    """A piece of I/O a flow needs, with a sync and an async way to do it."""

    def sync(self) -> Any:
        """Do it, blocking (WSGI)."""
        ...

    def async_(self) -> Awaitable[Any]:
        """Do it on the running event loop (ASGI)."""
        ...


class IO(NamedTuple):
    """An :class:`Effect` made of two callables."""

    sync: Callable[[], Any]
    async_: Callable[[], Awaitable[Any]]


#: A flow: yields effects, receives their results, returns a ``T``.
Flow = Generator[Effect, Any, T]


def run(steps: Flow[T]) -> T:
    """Drive ``steps`` synchronously and return what it returns."""
    try:
        effect = next(steps)
        while True:
            try:
                value = effect.sync()
            except Exception as exc:
                effect = steps.throw(exc)
            else:
                effect = steps.send(value)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def arun(steps: Flow[T]) -> T:
    """Drive ``steps`` on the running event loop and return what it returns."""
    try:
        effect = next(steps)
        while True:
            try:
                value = await effect.async_()
            except Exception as exc:
                effect = steps.throw(exc)
            else:
                effect = steps.send(value)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def blocking(platform: Platform, func: Callable[..., Any], *args: Any) -> Effect:
    """An effect for a blocking call: direct when sync, in a thread when async."""
    return IO(
        functools.partial(func, *args), functools.partial(platform.run_in_thread, func, *args)
    )


def call_either(func: Callable[..., Any], platform: Platform, *args: Any) -> Effect:
    """An effect calling a hook that may be sync (run off the loop) or async."""
    if inspect.iscoroutinefunction(func):
        return IO(functools.partial(async_to_sync(func), *args), functools.partial(func, *args))
    return blocking(platform, func, *args)
