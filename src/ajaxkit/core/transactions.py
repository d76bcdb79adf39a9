"""Transactions an atomic batch holds open across its items: the seam ORMs implement.

The core names no ORM.  A database, as one ORM reaches it, is a
:class:`TransactionSource` (a Django alias, a SQLAlchemy session factory);
sources with equal ``key`` are the same database.  An atomic batch keeps one
:class:`Transactions`: before each item it begins the transaction of every
source the item's endpoint declares (``Endpoint.transactions``), once per
key; the item's code joins it (a model endpoint's repository through
:meth:`Transactions.join`, a plain handler through :func:`joined`).  After
the last item everything commits; if any item failed, everything rolls back.

One batch holds one database.  Two could only be committed one after the
other (there is no two-phase commit here), and a failure of the second
commit would leave the first standing: a batch that cannot keep its
all-or-nothing promise is refused instead (the batch checks the declared
sources before running anything; :meth:`Transactions.join` refuses an
undeclared second one).

Work that must follow the outcome and is not a database write (an
idempotency record) is deferred here as flows: ``after_commit`` ones run
only after every commit, ``after_rollback`` ones only after a rollback.
ORM after-commit hooks are the ORM's own (Django's ``on_commit``, a
SQLAlchemy ``after_commit`` event) or the transaction's: they run inside
:meth:`Transaction.commit`, after the commit, and their failures are kept
apart from the commit's.  Once the commit stood, a raising hook cannot
unmake it: the batch must not answer ``committed: false`` for stored data.
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

#: Told of each exception an after-commit hook raised once the commit stood.
HookFailed = Callable[[BaseException], None]

__all__ = [
    "HookFailed",
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

    def commit(self, hook_failed: HookFailed) -> None:
        """Make every write of the transaction durable, then run its
        after-commit hooks.

        Raises only when nothing was committed (the database refused).  A
        hook that raises after the commit is passed to ``hook_failed``
        instead, and the hooks after it still run.
        """
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
    """The transaction one atomic batch holds open, on its one database."""

    def __init__(self) -> None:
        self._key: Hashable = None
        self._open: Transaction | None = None
        self.after_commit: list[Deferred] = []
        self.after_rollback: list[Deferred] = []
        #: What deferred work will store, by key, for later items of the same
        #: batch to read before it is stored (an idempotent answer: a repeat
        #: of its key in the batch is its replay, not a request in flight).
        self.held_records: dict[str, bytes] = {}

    def begin(self, sources: Iterable[TransactionSource]) -> None:
        """Begin the transaction of each of ``sources`` not begun yet."""
        for source in sources:
            self.join(source)

    def join(self, source: TransactionSource) -> Any:
        """The open transaction of ``source``'s database (begun on first use).

        Raises:
            ServerError: another database's transaction is already open (a
                handler joined a source its endpoint did not declare).
        """
        if self._open is None:
            self._key, self._open = source.key, source.begin()
        elif source.key != self._key:
            raise ServerError(
                f"An atomic batch holds one database ({self._key!r}); "
                f"{source.key!r} cannot join it."
            )
        return self._open

    def defer(self, on_commit: Deferred | None = None, on_rollback: Deferred | None = None) -> None:
        """Run the flow ``on_commit`` starts once everything committed, the
        one ``on_rollback`` starts if it was rolled back (or its commit failed)."""
        if on_commit is not None:
            self.after_commit.append(on_commit)
        if on_rollback is not None:
            self.after_rollback.append(on_rollback)

    def commit(self, hook_failed: HookFailed) -> None:
        """Commit the transaction.  If the database refuses (a constraint it
        checks at commit, a lost connection), the ORM has rolled it back and
        its error propagates; nothing is left to roll back.  An after-commit
        hook's failure goes to ``hook_failed``: the commit stands."""
        pending, self._open = self._open, None
        if pending is not None:
            pending.commit(hook_failed)

    def rollback(self) -> None:
        """Roll the transaction back."""
        pending, self._open = self._open, None
        if pending is None:
            return
        try:
            pending.rollback()
        except Exception as exc:
            raise ServerError("An atomic batch could not be rolled back.") from exc


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
