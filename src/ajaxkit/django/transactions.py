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
outside a batch commits the same way, through :func:`atomic`.  A block
begun inside another (a batch under ``ATOMIC_REQUESTS``) is a savepoint: its
hooks wait for the outermost block, whose owner runs them.

``ATOMIC_REQUESTS`` is kept the same way (:class:`RequestAtomicity`):
ajaxkit's views tell Django's handler not to wrap them in ``atomic``, and
hand the same blocks to the core, which opens them around the pipeline
(:mod:`ajaxkit.core.request_transactions`), so the request's commit, and the
hooks after it, happen inside the view.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ajaxkit.core.transactions import HookFailed
from ajaxkit.exceptions import ServerError

__all__ = ["DjangoTransactions", "RequestAtomicity", "atomic", "held_atomic"]


class DjangoTransactions:
    """The database ``using`` (an alias of ``DATABASES``), for atomic batches
    and for the requests ``ATOMIC_REQUESTS`` runs in a transaction."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using

    @property
    def key(self) -> Hashable:
        return ("django", self.using)

    def begin(self) -> HeldAtomic:
        return HeldAtomic(self.using)


class HeldAtomic:
    """An ``atomic`` block held open: a request's (``ATOMIC_REQUESTS``), an
    atomic batch's, across its items, or one model operation's
    (:func:`atomic`).  Begun inside another block, it is a savepoint."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.thread = threading.get_ident()
        # Inside another block (the request's, ATOMIC_REQUESTS) this one is a
        # savepoint: nothing is durable when it ends, so no hook may run then.
        self.outermost = not transaction.get_connection(using).in_atomic_block
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
        if not self.outermost:
            # Released; its hooks stay queued for the outermost block.
            self._block.__exit__(None, None, None)
            return
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


class RequestAtomicity:
    """Which databases a view of ajaxkit runs each request in a transaction
    on: those whose settings say ``ATOMIC_REQUESTS``, as Django decides.

    Set as the view's ``_non_atomic_requests``, the attribute Django's
    handler reads before wrapping a view in ``atomic`` and
    ``transaction.non_atomic_requests`` adds an alias to.  It answers "not
    atomic" for every alias, so Django never wraps the view, and remembers
    the aliases the application marked, so they stay out of
    :meth:`sources`.  Read per request, as Django's handler reads them.
    """

    def __init__(self, marked: Iterable[str] = ()) -> None:
        #: The aliases ``transaction.non_atomic_requests`` named for the view.
        self.marked = set(marked)

    def add(self, alias: str) -> None:
        """Mark ``alias`` non-atomic for the view (what Django's decorator calls)."""
        self.marked.add(alias)

    def __iter__(self) -> Iterator[str]:
        return iter(self.marked)

    def __contains__(self, alias: object) -> bool:
        # Django's handler asks "alias in view._non_atomic_requests" before
        # wrapping the view: never, ajaxkit opens the transactions itself.
        return True

    def sources(self) -> tuple[DjangoTransactions, ...]:
        """The databases this request runs in a transaction on, outermost
        first: Django wraps the view once per alias, the first innermost."""
        aliases = [
            alias
            for alias, conf in connections.settings.items()
            if conf["ATOMIC_REQUESTS"] and alias not in self.marked
        ]
        return tuple(DjangoTransactions(alias) for alias in reversed(aliases))

    @classmethod
    def install(cls, view: Any) -> RequestAtomicity:
        """Take over ``view``'s atomicity (keeping marks it already has)."""
        atomicity = cls(getattr(view, "_non_atomic_requests", ()))
        view._non_atomic_requests = atomicity
        return atomicity
