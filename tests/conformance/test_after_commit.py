"""Rule P8: work after a committed write never changes the write's answer.

``<mount>/fragile`` (``tests/conformance/live_models.py``) fails after the
commit on demand: its ``created`` hook for titles starting ``hook``, its
``live.model`` topics function for titles starting ``topics``, the
application's own ``after_commit`` listener on its session factory for
titles starting ``listener``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from tests.conformance.clients.base import Client, Response

STEPS = ("hook", "topics", "listener")


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ajaxkit" and r.levelno >= logging.ERROR]


def _logged_once(caplog: pytest.LogCaptureFixture, step: str) -> None:
    (record,) = _records(caplog)
    message = record.getMessage()
    assert f"{step} failed after the commit" in message and "(after commit)" in message
    assert getattr(record, "error_id", "x") in message
    assert record.exc_info


def _stored(client: Client, created: Response) -> Any:
    return client.get(f"/ajax/fragile/{created.json()['id']}").json()


@pytest.mark.parametrize("step", STEPS)
def test_P8_a_failure_after_the_commit_keeps_the_committed_answer(
    client: Client, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    client.login("alice")
    title = f"{step}-{uuid.uuid4().hex}"
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        created = client.post("/ajax/fragile", json={"title": title})
    assert created.status == 201, created
    assert created.json()["title"] == title
    assert _stored(client, created) == created.json()
    _logged_once(caplog, step)


@pytest.mark.parametrize("step", STEPS)
def test_P8_an_idempotent_retry_replays_the_committed_answer(
    client: Client, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    client.login("alice")
    title, key = f"{step}-{uuid.uuid4().hex}", {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        first = client.post("/ajax/fragile", json={"title": title}, headers=key)
        again = client.post("/ajax/fragile", json={"title": title}, headers=key)
    assert (first.status, again.status) == (201, 201), first
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    _logged_once(caplog, step)


def test_P8_the_remaining_after_commit_work_still_runs(client: Client) -> None:
    client.login("alice")
    start = client.get("/ajax/_live/poll", params={"topic": "models/fragile"}).json()["cursor"]
    # The hook fails; the live publication after it still goes out.
    created = client.post("/ajax/fragile", json={"title": f"hook-{uuid.uuid4().hex}"})
    assert created.status == 201, created
    params = {"topic": "models/fragile", "cursor": start, "timeout": 0}
    events = client.get("/ajax/_live/poll", params=params).json()["events"]
    assert [(e["data"]["action"], e["data"]["pk"]) for e in events] == [
        ("created", created.json()["id"])
    ]


@pytest.mark.parametrize("step", STEPS)
def test_P8_an_atomic_batch_stays_committed(
    client: Client, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    client.login("alice")
    titles = [f"{step}-{uuid.uuid4().hex}", f"other-{uuid.uuid4().hex}"]
    items = [{"method": "POST", "path": "fragile", "body": {"title": t}} for t in titles]
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.post("/ajax/_batch", json={"items": items, "atomic": True})
    assert response.status == 200, response
    answer = response.json()
    assert answer["committed"] is True
    assert [item["status"] for item in answer["items"]] == [201, 201]
    for item in answer["items"]:
        assert client.get(f"/ajax/fragile/{item['body']['id']}").json() == item["body"]
    _logged_once(caplog, step)
