"""A SQLAlchemy session factory as the transaction source of atomic batches.

An atomic batch opens one session of the factory and begins its
transaction before the first item that declares it; every model endpoint
registered with the same factory then works in that session (writes are
flushed, not committed) and its after-commit callbacks wait for the
batch's commit.  A session is not tied to a thread, so the items may run on
whichever worker thread the server picks, one after the other.

A plain handler joins through :func:`session_for`, having declared
``transactions=[SQLAlchemyTransactions(factory)]`` on its endpoint.

``Session.commit`` runs the ``after_commit`` event's listeners after the
COMMIT, and one that raises makes the commit raise although the rows are
stored.  :meth:`SharedSession.commit` tells the two apart by the session's
connections: SQLAlchemy forgets a connection's transaction only once its
COMMIT succeeded (a failed one stays, to be rolled back).  A model
endpoint's own operation outside a batch commits its session the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from ajaxkit.core.transactions import HookFailed, joined
from ajaxkit.exceptions import ServerError

if TYPE_CHECKING:
    from ajaxkit.types import AjaxRequest

__all__ = ["SQLAlchemyTransactions", "SharedSession", "session_for", "shared_session"]


class SQLAlchemyTransactions:
    """The database a session factory (a ``sessionmaker``) opens sessions on.

    Models registered with the same factory share one transaction in an
    atomic batch; pass a ``scoped_session`` and its factory is used.
    """

    def __init__(self, session: Any) -> None:
        self.factory: Callable[[], Session] = getattr(session, "session_factory", session)

    @property
    def key(self) -> Hashable:
        return ("sqlalchemy", self.factory)

    def begin(self) -> SharedSession:
        session = self.factory()
        session.begin()
        return SharedSession(session)


class SharedSession:
    """A session in a transaction, and the after-commit callbacks of the
    work in it: the one an atomic batch's items share, or one model
    operation's own (outside a batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.callbacks: list[Callable[[], None]] = []
        self.connections: list[Connection] = []
        event.listen(session, "after_begin", self._began)

    def _began(self, session: Session, transaction: SessionTransaction, connection: Any) -> None:
        self.connections.append(connection)

    def commit(self, hook_failed: HookFailed) -> None:
        """Commit and close the session, then run the callbacks.

        Raises only when nothing was committed.  An ``after_commit``
        listener or a callback that raises after the commit is passed to
        ``hook_failed`` instead, and the callbacks after it still run.
        """
        try:
            # A write refused while flushing rolls the connections back,
            # which would read as a COMMIT that succeeded: flushed first, it
            # is refused before any COMMIT.
            self.session.flush()
            try:
                self.session.commit()
            except Exception as exc:
                if not self._committed():
                    raise
                hook_failed(exc)  # an ``after_commit`` listener, after the COMMIT
        finally:
            self.session.close()
        for callback in self.callbacks:
            try:
                callback()
            except Exception as exc:
                hook_failed(exc)

    def _committed(self) -> bool:
        """Whether every connection's COMMIT succeeded.  With no connection
        nothing was written, and no COMMIT ran: the failure was not after one."""
        return bool(self.connections) and all(
            connection.get_transaction() is None for connection in self.connections
        )

    def rollback(self) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()


def shared_session(held: object) -> SharedSession:
    """``held`` as a shared session (a repository joining a batch's transaction)."""
    if not isinstance(held, SharedSession):
        raise ServerError("A SQLAlchemy repository was given another ORM's transaction.")
    return held


@contextmanager
def session_for(request: AjaxRequest, session: Any) -> Iterator[Session]:
    """The session a plain handler writes through, for the block's duration.

    In an atomic batch, the batch's shared session of ``session``'s factory
    (the endpoint must declare ``transactions=[SQLAlchemyTransactions(session)]``):
    the block's writes are flushed when it ends, so a constraint error is
    this item's, and committed or rolled back with the whole batch.
    Otherwise a new session of the factory in a transaction of its own,
    committed when the block ends (rolled back if it raises) and closed.

    Args:
        request: the handler's request.
        session: a ``sessionmaker`` (or a ``scoped_session``: its factory is
            used, never the thread's session), the one the endpoint declared.
    """
    source = SQLAlchemyTransactions(session)
    held = joined(request, source)
    if held is None:
        with source.factory() as own, own.begin():
            yield own
        return
    shared = shared_session(held).session
    yield shared
    shared.flush()
