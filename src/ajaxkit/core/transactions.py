"""Transactions an atomic batch holds open across its items: the seam ORMs implement.

The core names no ORM.  A database, as one ORM reaches it, is a
:class:`TransactionSource` (a Django alias, a SQLAlchemy session factory);
sources with equal ``key`` are the same database.  An atomic batch keeps one
:class:`Transactions`: before each item it begins the transaction of every
source the item's endpoint declares (``Endpoint.transactions``), once per
key; the item's code joins it (a model endpoint's repository through
:meth:`Transactions.join`, a plain handler through :func:`joined`).  After
the last item everything commits; if any item failed, everything rolls back.

Work that must follow the outcome and is not a database write (an
idempotency record) is deferred here as flows: ``after_commit`` ones run
only after every commit, ``after_rollback`` ones only after a rollback.
ORM after-commit hooks are the ORM's own (Django's ``on_commit``) or the
transaction's (SQLAlchemy's): they run inside :meth:`Transaction.commit`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ajaxkit.exceptions import ServerError

if TYPE_CHECKING:
    from ajaxkit.core.effects import Flow
    from ajaxkit.types import AjaxRequest

#: Work deferred to the batch's outcome: a function starting a flow.
Deferred = Callable[[], "Flow[None]"]

__all__ = [
    "Transaction",
    "TransactionSource",
    "Transactions",
    "enlist",
    "joined",
    "transactions_of",
]

_STATE = "ajaxkit.transactions"


class Transaction(Protocol):
    """One open database transaction, begun by a :class:`TransactionSource`."""

    def commit(self) -> None:
        """Make every write of the transaction durable, then run its
        after-commit hooks."""
        ...

    def rollback(self) -> None:
        """Undo every write of the transaction; its after-commit hooks never run."""
        ...


class TransactionSource(Protocol):
    """A database as one ORM reaches it.

    Attributes:
        key: equal keys are the same database: one transaction serves them.
    """

    @property
    def key(self) -> Hashable: ...

    def begin(self) -> Transaction:
        """Open a transaction, on the thread that will use it (Django's
        connections belong to a thread)."""
        ...


class Transactions:
    """The transactions one atomic batch holds open, one per database key."""

    def __init__(self) -> None:
        self._open: dict[Hashable, Transaction] = {}
        self.after_commit: list[Deferred] = []
        self.after_rollback: list[Deferred] = []

    def begin(self, sources: Iterable[TransactionSource]) -> None:
        """Begin the transaction of each of ``sources`` not begun yet."""
        for source in sources:
            self.join(source)

    def join(self, source: TransactionSource) -> Any:
        """The open transaction of ``source``'s database (begun on first use)."""
        key = source.key
        found = self._open.get(key)
        if found is None:
            found = self._open[key] = source.begin()
        return found

    def defer(self, on_commit: Deferred | None = None, on_rollback: Deferred | None = None) -> None:
        """Run the flow ``on_commit`` starts once everything committed, the
        one ``on_rollback`` starts if it was rolled back."""
        if on_commit is not None:
            self.after_commit.append(on_commit)
        if on_rollback is not None:
            self.after_rollback.append(on_rollback)

    def commit(self) -> None:
        """Commit every transaction, in the order they were begun.

        With several databases this is not two-phase: should a later commit
        fail, the earlier ones stand (the batch answers 500 and says so).
        """
        pending = list(self._open.values())
        self._open.clear()
        for index, transaction in enumerate(pending):
            try:
                transaction.commit()
            except Exception:
                for rest in pending[index + 1 :]:
                    rest.rollback()
                raise

    def rollback(self) -> None:
        """Roll every transaction back; each is tried even if another fails."""
        pending = list(self._open.values())
        self._open.clear()
        failure: Exception | None = None
        for transaction in reversed(pending):
            try:
                transaction.rollback()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise ServerError("An atomic batch could not be rolled back.") from failure


def transactions_of(request: AjaxRequest) -> Transactions | None:
    """The atomic batch's transactions ``request`` (an item of it) runs in, if any."""
    found = request.state.get(_STATE)
    return found if isinstance(found, Transactions) else None


def enlist(request: AjaxRequest, transactions: Transactions) -> None:
    """Make ``request`` (an item of an atomic batch) run in ``transactions``."""
    request.state[_STATE] = transactions


def joined(request: AjaxRequest, source: TransactionSource) -> Any:
    """The transaction of ``source`` that ``request`` runs in, or ``None``
    outside an atomic batch: what a plain handler that declared
    ``transactions=[source]`` writes through."""
    found = transactions_of(request)
    return None if found is None else found.join(source)
