"""A Django database alias as the transaction source of atomic batches.

An atomic batch begins ``transaction.atomic(using=alias)`` before the first
item that declares the alias and leaves it after the last: every ORM call on
that alias in between, by a model endpoint or by a plain handler that
declared ``transactions=[DjangoTransactions(alias)]``, is inside it (a nested
``atomic`` is a savepoint), and ``transaction.on_commit`` hooks wait for its
commit.  Django's transactions belong to a connection, and its connections
to a thread: the batch begins and ends the block through the platform's
thread-sensitive runner, the same thread Django runs sync handlers on.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from django.db import DEFAULT_DB_ALIAS, transaction

from ajaxkit.exceptions import ServerError

__all__ = ["DjangoTransactions", "held_atomic"]


class DjangoTransactions:
    """The database ``using`` (an alias of ``DATABASES``), for atomic batches."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using

    @property
    def key(self) -> Hashable:
        return ("django", self.using)

    def begin(self) -> HeldAtomic:
        return HeldAtomic(self.using)


class HeldAtomic:
    """An outermost ``atomic`` block held open across an atomic batch's items."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.thread = threading.get_ident()
        self._block = transaction.atomic(using=using)
        self._block.__enter__()

    def commit(self) -> None:
        # Leaving the block commits, then runs the on_commit hooks.
        self._block.__exit__(None, None, None)

    def rollback(self) -> None:
        # Marked first: leaving the block then rolls back and drops the hooks.
        transaction.set_rollback(True, using=self.using)
        self._block.__exit__(None, None, None)


def held_atomic(held: object) -> HeldAtomic:
    """``held`` as the batch's atomic block, checked to be usable on this thread.

    Raises:
        ServerError: the block was begun on another thread, so this thread's
            connection is outside it: joining would silently commit on its own.
    """
    if not isinstance(held, HeldAtomic):
        raise ServerError("A Django repository was given another ORM's transaction.")
    if held.thread != threading.get_ident():
        raise ServerError(
            f"The atomic batch's transaction on {held.using!r} was begun on another "
            "thread; Django's ORM must run on one thread per request (thread-sensitive)."
        )
    return held
