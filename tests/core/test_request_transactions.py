"""A request run inside transactions (``Ajax.dispatch(..., transactions=...)``), without an ORM.

The sources here are :class:`Ledger` s: an in-memory database keeping
committed rows and after-commit hooks the way an ORM does (Django's
``ATOMIC_REQUESTS`` is the real one: ``tests/models/test_atomic_requests.py``).
What is checked is the order: begun outermost first, committed innermost
first, everything rolled back when the answer raised, the rest rolled back
when a commit is refused, hooks that raise after a commit only logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from typing import Any

import pytest

from ajaxkit import Ajax, AjaxRequest, Conflict
from ajaxkit.core.transactions import HookFailed
from ajaxkit.testing import Client

#: What happened, in order, across every ledger of a test.
Journal = list[str]


class Refused(RuntimeError):
    """A commit the database refused."""


class Ledger:
    """A database: rows are written into the open transaction, kept on commit."""

    def __init__(self, name: str, journal: Journal, *, refuse_commit: bool = False) -> None:
        self.name, self.journal, self.refuse_commit = name, journal, refuse_commit
        self.rows: list[str] = []
        self.open: LedgerTransaction | None = None

    @property
    def key(self) -> Hashable:
        return ("ledger", self.name)

    def begin(self) -> LedgerTransaction:
        self.journal.append(f"begin {self.name}")
        self.open = LedgerTransaction(self)
        return self.open

    def write(self, row: str, hook: Callable[[], None] | None = None) -> None:
        assert self.open is not None, f"{self.name}: no transaction"
        self.open.rows.append(row)
        if hook is not None:
            self.open.hooks.append(hook)


class LedgerTransaction:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.rows: list[str] = []
        self.hooks: list[Callable[[], None]] = []

    def commit(self, hook_failed: HookFailed) -> None:
        ledger, ledger.open = self.ledger, None
        if ledger.refuse_commit:
            ledger.journal.append(f"refused {ledger.name}")
            raise Refused(f"{ledger.name} refused the commit")
        ledger.rows += self.rows
        ledger.journal.append(f"commit {ledger.name}")
        for hook in self.hooks:
            try:
                hook()
            except Exception as exc:
                hook_failed(exc)

    def rollback(self) -> None:
        self.ledger.open = None
        self.ledger.journal.append(f"rollback {self.ledger.name}")


def _api(ledgers: list[Ledger]) -> Ajax:
    api = Ajax()

    @api.endpoint("write", methods=["POST"])
    def write(request: AjaxRequest, fail: bool = False, hook: str = "") -> dict[str, str]:
        for ledger in ledgers:
            ledger.write("row", _hook(ledger, hook))
        if fail:
            raise Conflict("Refused after writing.")
        return {"written": "row"}

    return api


def _hook(ledger: Ledger, kind: str) -> Callable[[], None] | None:
    def hook() -> None:
        if kind == "broken":
            raise RuntimeError(f"{ledger.name}'s hook broke")
        ledger.journal.append(f"hook {ledger.name}")

    return hook if kind else None


def _post(api: Ajax, ledgers: list[Ledger], body: dict[str, Any], *, is_async: bool) -> Any:
    client = Client(api)
    request = client.build("POST", "/ajax/write", json=body)
    if is_async:
        return asyncio.run(api.adispatch(request, client.platform, transactions=ledgers))
    return api.dispatch(request, client.platform, transactions=ledgers)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_begun_outermost_first_and_committed_innermost_first(is_async: bool) -> None:
    journal: Journal = []
    ledgers = [Ledger("outer", journal), Ledger("inner", journal)]
    response = _post(_api(ledgers), ledgers, {"hook": "ok"}, is_async=is_async)
    assert response.status == 200, response.body
    assert journal == [
        "begin outer",
        "begin inner",
        "commit inner",
        "hook inner",
        "commit outer",
        "hook outer",
    ]
    assert [ledger.rows for ledger in ledgers] == [["row"], ["row"]]


def test_an_answer_that_raised_rolls_everything_back(is_async: bool) -> None:
    journal: Journal = []
    ledgers = [Ledger("outer", journal), Ledger("inner", journal)]
    response = _post(_api(ledgers), ledgers, {"fail": True, "hook": "ok"}, is_async=is_async)
    assert response.status == 409, response.body
    assert journal == ["begin outer", "begin inner", "rollback inner", "rollback outer"]
    assert [ledger.rows for ledger in ledgers] == [[], []]


def test_a_refused_commit_rolls_back_the_rest_and_answers_500(
    is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    journal: Journal = []
    ledgers = [Ledger("outer", journal), Ledger("inner", journal, refuse_commit=True)]
    with caplog.at_level(logging.CRITICAL, logger="ajaxkit"):
        response = _post(_api(ledgers), ledgers, {"hook": "ok"}, is_async=is_async)
    assert response.status == 500, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    # No hook ran: nothing was committed.
    assert journal == ["begin outer", "begin inner", "refused inner", "rollback outer"]
    assert [ledger.rows for ledger in ledgers] == [[], []]


def test_a_hook_raising_after_the_commit_is_logged_and_the_answer_stands(
    is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    journal: Journal = []
    ledgers = [Ledger("only", journal)]
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = _post(_api(ledgers), ledgers, {"hook": "broken"}, is_async=is_async)
    assert response.status == 200, response.body
    assert ledgers[0].rows == ["row"]
    (record,) = [r for r in caplog.records if r.name == "ajaxkit"]
    error_id = getattr(record, "error_id", "")
    assert len(error_id) == 36 and error_id in record.getMessage()
    assert "(after commit)" in record.getMessage() and "only's hook broke" in record.getMessage()
