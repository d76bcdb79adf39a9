"""A Django database alias as the transaction source of atomic batches.

An atomic batch begins ``transaction.atomic(using=alias)`` before the first
item that declares the alias and leaves it after the last: every ORM call on
that alias in between, by a model endpoint or by a plain handler that
declared ``transactions=[DjangoTransactions(alias)]``, is inside it (a nested
``atomic`` is a savepoint), and ``transaction.on_commit`` hooks wait for its
commit.  Django's transactions belong to a connection, and its connections
to a thread: the batch begins and ends the block through the platform's
thread-sensitive runner, the same thread Django runs sync handlers on.

The commit and the ``on_commit`` hooks are kept apart.  Left to itself,
Django's ``atomic`` runs the hooks inside its exit, after the COMMIT: a hook
that raised would look like a refused commit (and drop the hooks after it).
:class:`HeldAtomic` takes the hooks off the connection before leaving the
block, the way Django's own ``captureOnCommitCallbacks`` reads them, and
runs each itself once the commit stood.  A model endpoint's own operation
outside a batch commits the same way, through :func:`atomic`.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, transaction

from ajaxkit.core.transactions import HookFailed
from ajaxkit.exceptions import ServerError

__all__ = ["DjangoTransactions", "atomic", "held_atomic"]


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
    """An outermost ``atomic`` block: an atomic batch's, held open across
    its items, or one model operation's (:func:`atomic`)."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.thread = threading.get_ident()
        self._block = transaction.atomic(using=using)
        self._block.__enter__()

    def commit(self, hook_failed: HookFailed) -> None:
        if transaction.get_rollback(using=self.using):
            # A database error inside the block was caught (Django marks the
            # block then): leaving it would roll back without a word.
            self.rollback()
            raise ServerError(
                f"The transaction on {self.using!r} was marked for rollback: "
                "a database error inside it was caught."
            )
        connection = transaction.get_connection(self.using)
        hooks, connection.run_on_commit = connection.run_on_commit, []
        # Raises only if the COMMIT failed: Django rolled back, and the
        # hooks, like Django's own on a rollback, are dropped.
        self._block.__exit__(None, None, None)
        for hook in hooks:
            # An entry is (savepoint ids, function, robust); every savepoint
            # is settled now.  A hook may raise even if registered robust:
            # each is logged on its own and the next one still runs.
            try:
                hook[1]()
            except Exception as exc:
                hook_failed(exc)

    def rollback(self) -> None:
        # Marked first: leaving the block then rolls back and drops the hooks.
        transaction.set_rollback(True, using=self.using)
        self._block.__exit__(None, None, None)


@contextmanager
def atomic(using: str, hook_failed: HookFailed) -> Iterator[None]:
    """``transaction.atomic(using=using)``, whose ``on_commit`` hooks cannot
    make a commit that stood look refused: each hook that raises after the
    commit is passed to ``hook_failed`` and the next one still runs.

    Inside another ``atomic`` block (an atomic batch's, ``ATOMIC_REQUESTS``,
    the application's own) this is a savepoint, and the hooks wait for the
    outermost block, whose owner runs them.
    """
    if transaction.get_connection(using).in_atomic_block:
        with transaction.atomic(using=using):
            yield
        return
    block = HeldAtomic(using)
    try:
        yield
    except BaseException:
        block.rollback()
        raise
    block.commit(hook_failed)


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
