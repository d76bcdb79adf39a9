"""``memory://`` resumes read only what follows the cursor.

A reconnecting client names the last event it saw; the log is ordered by
position, so what follows it is the log's tail, reached without walking the
events before it.  A long-lived log (the default window keeps 10,000) is
resumed near its head by every reconnect, so a walk from its oldest event
costs the whole window each time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.live import Event, MemoryBroker, parse_cursor
from tests.fuzz_strategies import FUZZ_SETTINGS


class CountingLog(deque[Event]):
    """The broker's own ring buffer, counting the events read out of it."""

    read = 0

    def __iter__(self) -> Iterator[Event]:
        for event in super().__iter__():
            self.read += 1
            yield event

    def __reversed__(self) -> Iterator[Event]:
        for event in super().__reversed__():
            self.read += 1
            yield event


def _counted(broker: MemoryBroker) -> CountingLog:
    log = CountingLog(broker._log, maxlen=broker._log.maxlen)
    broker._log = log
    return log


def _numbers(events: list[Event]) -> list[int]:
    return [orjson.loads(e.data)["n"] for e in events]


def test_a_resume_near_the_head_reads_only_the_events_after_it() -> None:
    broker = MemoryBroker(window=10_000)
    cursors = [broker.publish("a", orjson.dumps({"n": n})) for n in range(10_000)]
    log = _counted(broker)
    backlog = asyncio.run(broker.since(parse_cursor(cursors[-4]), ["a"]))
    assert _numbers(backlog.events) == [9_997, 9_998, 9_999]
    assert log.read == 3  # not the 9,996 events before the cursor


@settings(FUZZ_SETTINGS)
@given(
    topics=st.lists(st.sampled_from("ab"), min_size=1, max_size=40),
    window=st.integers(1, 20),
    resume=st.integers(0, 40),
    limit=st.none() | st.integers(1, 5),
)
def test_a_resume_answers_what_a_walk_of_the_whole_log_would(
    topics: list[str], window: int, resume: int, limit: int | None
) -> None:
    broker = MemoryBroker(window=window)
    cursors = [broker.publish(t, orjson.dumps({"n": n})) for n, t in enumerate(topics)]
    resume = min(resume, len(topics) - 1)
    backlog = asyncio.run(broker.since(parse_cursor(cursors[resume]), ["a"], limit))
    kept = range(max(0, len(topics) - window), len(topics))
    if resume + 1 < kept.start:  # the cursor's successor fell out of the window
        assert backlog.reset and backlog.events == []
        return
    after = [n for n in kept if n > resume and topics[n] == "a"]
    assert not backlog.reset
    assert _numbers(backlog.events) == after[:limit]
    assert backlog.more == (limit is not None and len(after) > limit)


def test_a_limited_resume_far_from_the_head_stops_once_it_has_enough() -> None:
    broker = MemoryBroker(window=1_000)
    cursors = [broker.publish("a", orjson.dumps({"n": n})) for n in range(1_000)]
    log = _counted(broker)
    backlog = asyncio.run(broker.since(parse_cursor(cursors[9]), ["a"], limit=5))
    assert _numbers(backlog.events) == [10, 11, 12, 13, 14] and backlog.more
    assert log.read <= 10 + 6  # the ten before the cursor, then one more than the limit
