"""Transactions a whole request runs in: Django's ``ATOMIC_REQUESTS``, kept by the core.

An integration whose framework wraps each request in a transaction (Django,
for every database whose settings say ``ATOMIC_REQUESTS``) does not let the
framework do it around ajaxkit's view: the framework would commit after the
answer was made, and an after-commit hook raising there would turn a stored
write into a 500 (which a client may well send again).  It hands the sources
to :meth:`Ajax.dispatch <ajaxkit.Ajax.dispatch>` instead, and
:func:`atomically` runs the answer inside them, with the framework's rules:

* one transaction per source, begun in the order given (the outermost
  first) and committed in the reverse order, as nested blocks would be;
* an exception raised anywhere in the answer (by the handler, by a check
  the pipeline makes) rolls every one of them back, whatever answer it then
  becomes; an answer returned without one commits, whatever its status;
* each after-commit hook that raises once its commit stood is passed to
  ``hook_failed`` and the next one still runs (rule P8): the answer stands;
* a commit the database refuses raises, after rolling back the ones not yet
  committed: the answer becomes that error, never the success of writes
  that are not stored.

The commit comes before the steps that see the final response (an
``Idempotency-Key``'s record is saved only once the writes are durable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from ajaxkit.core.effects import Flow, blocking
from ajaxkit.core.transactions import HookFailed, Transaction, TransactionSource
from ajaxkit.exceptions import ServerError

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform

__all__ = ["atomically"]

T = TypeVar("T")


def atomically(
    sources: Sequence[TransactionSource],
    platform: Platform,
    hook_failed: HookFailed,
    work: Flow[T],
) -> Flow[T]:
    """Run ``work`` inside one transaction per source: commit them when it
    returns, roll them back when it raises (then re-raise).

    Begun, committed and rolled back through ``blocking(platform, ...)``: on
    an async server that is the platform's thread runner, the thread a
    Django connection (and so its transaction) lives on.
    """
    # One trip to the platform's thread to begin them all, one to end them.
    opened: list[Transaction] = yield blocking(platform, _begin, sources)
    try:
        result = yield from work
    except Exception:
        yield blocking(platform, _roll_back, opened)
        raise
    yield blocking(platform, _commit, opened, hook_failed)
    return result


def _begin(sources: Sequence[TransactionSource]) -> list[Transaction]:
    """Begin every source's transaction, outermost first; none stays open
    if one cannot begin."""
    opened: list[Transaction] = []
    try:
        for source in sources:
            opened.append(source.begin())
    except Exception:
        _roll_back(opened)
        raise
    return opened


def _commit(opened: list[Transaction], hook_failed: HookFailed) -> None:
    """Commit the innermost first; if one is refused, roll back the rest."""
    while opened:
        innermost = opened.pop()
        try:
            innermost.commit(hook_failed)
        except Exception:
            # The refused one is rolled back already (Transaction.commit).
            _roll_back(opened)
            raise


def _roll_back(opened: list[Transaction]) -> None:
    """Roll back every transaction, innermost first, even if one fails."""
    failure: Exception | None = None
    while opened:
        try:
            opened.pop().rollback()
        except Exception as exc:
            failure = failure or exc
    if failure is not None:
        raise ServerError("The request's transaction could not be rolled back.") from failure
