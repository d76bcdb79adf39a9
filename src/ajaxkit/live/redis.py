"""``redis://``: the log as one Redis Stream, shared by every process and host.

- Publishing is one script: ``INCR`` a counter, then ``XADD`` with the
  counter as the entry id (``<n>-0``) and ``MAXLEN ~ window``.  So positions
  are consecutive integers, exactly as with ``memory://``, and a cursor older
  than the first retained entry is known to have missed events (trimming
  leaves no other trace: ``max-deleted-entry-id`` counts only ``XDEL``).
- Each process runs ONE reader (``XREAD BLOCK`` from the last id it saw, on
  a thread of its own) and fans events out to its local subscribers; after a
  lost connection it resumes from that id, so nothing is skipped.  Nothing
  ends it but :meth:`RedisBroker.aclose`: a malformed entry is logged with an
  error id and skipped, any other failure logged once and retried with
  backoff on a fresh connection.
- A client resuming from a cursor is answered from ``XRANGE`` (on a worker
  thread with the blocking client: no connection tied to a short-lived
  event loop), a page of ``COUNT resume_page`` entries at a time, each read
  in the same ``MULTI`` as ``XINFO STREAM``: the stream's first entry tells
  whether anything after the cursor (or the page before) was trimmed away
  (then: reset).  It stops at the head the first page saw (the
  subscription holds what came later) or once it has enough events.
- The epoch is a key beside the stream, created by whoever needs it first
  and read in the same step as what it names (a publish, each page of a
  resume, each read of the reader): a Redis that lost its data (flushed,
  restarted without persistence) gets a new one even under processes that
  keep running, so every old cursor resets instead of resuming into the new
  log, and the reader ends this process's subscriptions of the old one
  (their clients come back with their cursors and reset).

redis-py is imported here only, and only when a Redis broker is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Collection
from typing import Any

from ajaxkit.core.errors import log_background_error
from ajaxkit.exceptions import ConfigurationError
from ajaxkit.live.broker import Backlog, Broker, check_window
from ajaxkit.live.events import Cursor, Event, Position, parse_position, validate_topic

__all__ = ["RedisBroker"]

log = logging.getLogger("ajaxkit.live")

_ZERO: Position = (0, 0)
# INCR and XADD in one step, so ids are consecutive and never reordered;
# the epoch they belong to is read (or created, ARGV[5]) in the same step.
_APPEND = """
redis.call('SET', KEYS[3], ARGV[5], 'NX')
local epoch = redis.call('GET', KEYS[3])
local n = redis.call('INCR', KEYS[2])
local args = {'XADD', KEYS[1]}
if ARGV[3] == '1' then table.insert(args, 'MAXLEN'); table.insert(args, '~')
else table.insert(args, 'MAXLEN'); table.insert(args, '=') end
table.insert(args, ARGV[4])
table.insert(args, n .. '-0')
table.insert(args, 't'); table.insert(args, ARGV[1])
table.insert(args, 'd'); table.insert(args, ARGV[2])
redis.call(unpack(args))
return {n, epoch}
"""
# Entries one resume reads at a time: a cursor as old as the window costs
# a few round trips, never the whole window in memory at once.
_RESUME_PAGE = 500
# How long one XREAD blocks (aclose cancels the one under way).
_BLOCK_MS = 1000
# After a lost connection, and the first wait after any other failure.
_RECONNECT_SECONDS = 0.2
# The longest wait between retries of a read that keeps failing.
_MAX_BACKOFF_SECONDS = 5.0
# How long aclose waits for the reader to stop, and between its cancellations.
_STOP_SECONDS = 5.0
_STOP_RETRY_SECONDS = 0.05


class RedisBroker(Broker):
    """A log in a Redis Stream.

    Args:
        url: ``redis://host:port/db``.
        namespace: prefix of the stream and epoch keys (one log per namespace).
        window: number of entries kept (``MAXLEN ~``: about that many).
        exact_trim: trim to exactly ``window`` (``MAXLEN =``, slower).

    Attributes:
        resume_page: the most stream entries a resume reads (and holds) at
            once; it reads page after page until it has what it needs.
    """

    resume_page: int = _RESUME_PAGE

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "ajaxkit",
        window: int = 10_000,
        exact_trim: bool = False,
    ) -> None:
        # Checked before redis is imported: a set-up mistake is named first.
        self.window = check_window("RedisBroker", window)
        import redis
        import redis.asyncio

        super().__init__()
        self.url = url
        self._approximate = not exact_trim
        # One hash tag: the three keys live in one Redis Cluster slot.
        self.stream_key = f"{{{namespace}}}:live"
        self.epoch_key = f"{{{namespace}}}:live:epoch"
        self.counter_key = f"{{{namespace}}}:live:n"
        # Typed loosely: redis-py's reply types depend on decode_responses.
        self._sync: Any = redis.Redis.from_url(url)
        _check_replies_are_bytes(url, self._sync)
        self._redis = redis
        self._script = self._sync.register_script(_APPEND)
        self._async_module = redis.asyncio
        self._reader: threading.Thread | None = None
        # The reader's loop and latest XREAD, for aclose to cancel.
        self._read: tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]] | None = None
        self._stopping = threading.Event()
        self._start_lock = threading.Lock()

    # --- epoch -----------------------------------------------------------------

    @property
    def epoch(self) -> str:
        """This log's epoch now, created in Redis by the first process that needs it."""
        with self._sync.pipeline(transaction=True) as pipe:
            _ask_epoch(pipe, self.epoch_key)
            return _epoch_of(pipe.execute()[1])

    # --- publishing ------------------------------------------------------------

    def _append(self, topic: str, data: bytes) -> str:
        validate_topic(topic)
        n, epoch = self._script(
            keys=[self.stream_key, self.counter_key, self.epoch_key],
            args=[topic, data, "1" if self._approximate else "0", self.window, _new_epoch()],
        )
        return f"{_epoch_of(epoch)}:{int(n)}"

    async def _aappend(self, topic: str, data: bytes) -> str:
        return await asyncio.to_thread(self._append, topic, data)

    # --- reading ---------------------------------------------------------------

    async def since(
        self, cursor: Cursor | None, topics: Collection[str], limit: int | None = None
    ) -> Backlog:
        return await asyncio.to_thread(self._since, cursor, topics, limit)

    def _since(self, cursor: Cursor | None, topics: Collection[str], limit: int | None) -> Backlog:
        start = cursor.position if cursor is not None else _ZERO
        # No cursor asks only for the head: no entry is read.
        epoch, info, entries = self._page(f"{start[0]}-{start[1]}", "+", read=cursor is not None)
        head = _ordinal(info.get("last-generated-id"))
        if cursor is None:
            return Backlog([], f"{epoch}:{head}", (head, 0), reset=False)
        if cursor.epoch != epoch or start[1] or not _resumable(info, start[0], head):
            return _reset(epoch, head)
        events = self._collect(epoch, entries, head, set(topics), limit)
        if events is None:
            return _reset(*self._head())
        if limit is not None and len(events) > limit:
            last = events[limit - 1]
            return Backlog(events[:limit], last.cursor, last.position, reset=False, more=True)
        return Backlog(events, f"{epoch}:{head}", (head, 0), reset=False)

    def _collect(
        self,
        epoch: str,
        entries: list[tuple[bytes, dict[bytes, bytes]]],
        head: int,
        wanted: set[str],
        limit: int | None,
    ) -> list[Event] | None:
        """The events on ``wanted`` from ``entries`` (the first page) on, up to ``head``.

        Read a page at a time, so a resume never holds more than
        :attr:`resume_page` entries of other topics; it stops once it has
        one event more than ``limit`` (which says the answer is truncated).
        ``None`` when the log was trimmed past the next page meanwhile, or
        started afresh: the client must reset, not skip what it missed.
        """
        events: list[Event] = []
        enough = None if limit is None else limit + 1
        while True:
            found = self._events(entries, "a live resume", epoch)
            events += [e for e in found if e.topic in wanted]
            if len(entries) < self.resume_page or (enough is not None and len(events) >= enough):
                return events
            # Continue after the raw id read last: a page always moves on.
            after = _entry_id(entries[-1][0], "")
            if not after or _ordinal(after) >= head:
                return events
            now, info, entries = self._page(after, f"{head}-0")
            if now != epoch or not _resumable(info, _ordinal(after), head):
                return None

    def _page(self, after: str, upto: str, *, read: bool = True) -> tuple[str, Any, Any]:
        """The epoch, ``XINFO STREAM`` and at most :attr:`resume_page` entries after ``after``.

        All in one ``MULTI``: the info tells whether the log still holds
        what follows ``after`` when these entries were read, the epoch which
        log they are of.
        """
        with self._sync.pipeline(transaction=True) as pipe:
            _ask_epoch(pipe, self.epoch_key)
            pipe.xinfo_stream(self.stream_key)
            if read:
                pipe.xrange(self.stream_key, min=f"({after}", max=upto, count=self.resume_page)
            replies = pipe.execute(raise_on_error=False)
        epoch, info = _epoch_of(replies[1]), replies[2]
        if isinstance(info, self._redis.ResponseError):  # no stream yet: an empty log
            return epoch, {}, []
        if isinstance(info, Exception):
            raise info
        return epoch, info, replies[3] if read else []

    def _head(self) -> tuple[str, int]:
        """The log's epoch and head now."""
        epoch, info, _ = self._page("0-0", "+", read=False)
        return epoch, _ordinal(info.get("last-generated-id"))

    def _events(
        self, entries: list[tuple[bytes, dict[bytes, bytes]]], reader: str, epoch: str
    ) -> list[Event]:
        """The events of ``entries``; a malformed one is logged with an error id and skipped.

        Anything can XADD to the stream: one bad entry must neither end the
        reader nor fail every resume from before it.
        """
        events = []
        for entry in entries:
            try:
                events.append(_event(entry, epoch))
            except Exception as exc:
                where = f"{reader} (malformed entry {entry[0]!r} of {self.stream_key}, skipped)"
                log_background_error(log.name, where, exc)
        return events

    # --- the process's reader ----------------------------------------------------

    async def start(self) -> None:
        """Start this process's reader thread (once)."""
        if self._reader is not None:
            return
        last = await self.since(None, ())
        with self._start_lock:
            if self._reader is None:
                self._reader = threading.Thread(
                    target=self._read_forever,
                    args=(last,),
                    name="ajaxkit-redis-reader",
                    daemon=True,
                )
                self._reader.start()

    def _read_forever(self, after: Backlog) -> None:
        asyncio.run(self._read_loop(after))

    async def _read_loop(self, after: Backlog) -> None:
        """Read and fan out until stopped; no failure ends it.

        It is the only reader of this process: if it died, every live
        connection here would go quiet with nothing said.
        """
        client: Any = self._async_module.Redis.from_url(self.url)
        epoch = after.cursor.partition(":")[0]
        last = f"{after.position[0]}-{after.position[1]}"
        failures = _Failures()
        try:
            while not self._stopping.is_set():
                try:
                    now, reply = await self._blocked_read(client, last)
                except asyncio.CancelledError:
                    if self._stopping.is_set():
                        break  # aclose cancelled the read
                    raise
                except (OSError, self._async_module.ConnectionError, asyncio.TimeoutError):
                    # Redis went away: try again from the same id, losing nothing.
                    log.warning("Redis live reader lost its connection; retrying", exc_info=True)
                    await asyncio.sleep(_RECONNECT_SECONDS)
                    continue
                except Exception as exc:
                    # Not about one entry (a wrong key type, a server refusing
                    # the command): said once, retried slower and slower on a
                    # fresh connection, from the same id.
                    await asyncio.sleep(failures.failed(exc))
                    await client.aclose()
                    client = self._async_module.Redis.from_url(self.url)
                    continue
                failures.recovered()
                if now != epoch:
                    # Read from the new log's start on; this reply may be of either.
                    epoch, last = now, "0-0"
                    self._start_afresh(epoch)
                    continue
                for _key, entries in reply or ():
                    last = self._deliver(entries, last, epoch)
        finally:
            await client.aclose()

    def _start_afresh(self, epoch: str) -> None:
        """The log started again (Redis lost its data): end every subscription of the old one.

        Its positions come back for other events, so no subscription could
        tell a new event from one it already has; its client comes back with
        its cursor, which resets.
        """
        ended = self.fanout.close_where(lambda _: True)
        log.warning(
            "The Redis live log %s started afresh (epoch %s; Redis lost its data): "
            "%d subscription(s) of this process ended, their clients reset.",
            self.stream_key,
            epoch,
            ended,
        )

    def _deliver(
        self, entries: list[tuple[bytes, dict[bytes, bytes]]], last: str, epoch: str
    ) -> str:
        """Fan out ``entries``, skipping (and logging) malformed ones; the id to read after."""
        events = self._events(entries, "the Redis live reader", epoch)
        if entries:
            last = _entry_id(entries[-1][0], last)
        if events:
            try:
                self.dispatch(events)
            except Exception as exc:
                log_background_error(log.name, "the Redis live reader's fan-out", exc)
        return last

    async def _blocked_read(self, client: Any, last: str) -> tuple[str, Any]:
        """The epoch and one ``XREAD BLOCK`` after ``last`` (in one round trip),
        which :meth:`aclose` cancels rather than waits out."""
        read = asyncio.ensure_future(self._epoch_and_read(client, last))
        self._read = (asyncio.get_running_loop(), read)
        if self._stopping.is_set():  # aclose may have looked before the line above
            read.cancel()
        return await read

    async def _epoch_and_read(self, client: Any, last: str) -> tuple[str, Any]:
        async with client.pipeline(transaction=False) as pipe:
            _ask_epoch(pipe, self.epoch_key)
            pipe.xread({self.stream_key: last}, block=_BLOCK_MS)
            replies = await pipe.execute()
        return _epoch_of(replies[1]), replies[2]

    async def aclose(self) -> None:
        """Stop the reader and end this process's subscriptions."""
        self._stopping.set()
        await super().aclose()
        reader = self._reader
        deadline = time.monotonic() + _STOP_SECONDS
        while reader is not None and reader.is_alive() and time.monotonic() < deadline:
            # Again until the reader has stopped: redis-py lets a cancellation
            # that lands as a read is starting go unnoticed.
            self._cancel_read()
            await asyncio.to_thread(reader.join, _STOP_RETRY_SECONDS)
        self._sync.close()

    def _cancel_read(self) -> None:
        """Cancel the reader's XREAD under way, if any (from another thread)."""
        if self._read is not None:
            loop, read = self._read
            with contextlib.suppress(RuntimeError):  # the reader's loop is closed
                loop.call_soon_threadsafe(read.cancel)


def _check_replies_are_bytes(url: str, client: Any) -> None:
    """Refuse a URL whose query makes redis-py decode replies to text.

    The URL's options beat the code's arguments in redis-py, and any
    non-empty ``decode_responses`` (``false`` included: it stays a string)
    turns decoding on: every entry would then read as malformed, logged and
    skipped, and no event would ever be delivered.
    """
    decode = client.connection_pool.connection_kwargs.get("decode_responses")
    if decode:
        raise ConfigurationError(
            f"RedisBroker({url!r}): decode_responses={decode} in the URL makes redis-py "
            "decode replies to text, and the broker reads them as bytes; remove it from "
            "the URL (the broker's own connections need no option)."
        )


def _new_epoch() -> str:
    return secrets.token_hex(4)


def _ask_epoch(pipe: Any, key: str) -> None:
    """Queue on ``pipe`` what reads the epoch, creating it if the log has none yet."""
    pipe.set(key, _new_epoch(), nx=True)
    pipe.get(key)


def _epoch_of(reply: bytes | str | None) -> str:
    return reply.decode() if isinstance(reply, bytes) else reply or ""


def _reset(epoch: str, head: int) -> Backlog:
    return Backlog([], f"{epoch}:{head}", (head, 0), reset=True)


def _event(entry: tuple[bytes, dict[bytes, bytes]], epoch: str) -> Event:
    entry_id, fields = entry
    n = _ordinal(entry_id)
    return Event.build(fields[b"t"].decode(), (n, 0), f"{epoch}:{n}", fields[b"d"])


def _entry_id(entry_id: bytes | str, last: str) -> str:
    """``entry_id`` as text, or ``last`` when it is not an id (never read again)."""
    text = entry_id.decode("ascii", "replace") if isinstance(entry_id, bytes) else entry_id
    return text if parse_position(text) is not None else last


class _Failures:
    """A streak of reader failures: logged when it changes, each retry waiting longer."""

    def __init__(self) -> None:
        self._last: str | None = None
        self._delay = _RECONNECT_SECONDS

    def failed(self, exc: Exception) -> float:
        """Log ``exc`` unless the streak already said it; seconds to wait before retrying."""
        said = f"{type(exc).__name__}: {exc}"
        if said != self._last:
            self._last = said
            log_background_error(log.name, "the Redis live reader (retrying with backoff)", exc)
        delay, self._delay = self._delay, min(self._delay * 2, _MAX_BACKOFF_SECONDS)
        return delay

    def recovered(self) -> None:
        """A read succeeded: the next failure is news again."""
        if self._last is not None:
            log.warning("The Redis live reader reads again after: %s", self._last)
            self._last, self._delay = None, _RECONNECT_SECONDS


def _resumable(info: Any, after: int, head: int) -> bool:
    """Whether the log described by ``info`` (``XINFO STREAM``) still holds all after ``after``."""
    first = _ordinal(info.get("recorded-first-entry-id")) if info.get("length") else head + 1
    return first - 1 <= after <= head


def _ordinal(entry_id: bytes | str | None) -> int:
    """The counter in an entry id ``b"<n>-0"`` (0 for none)."""
    if entry_id is None:
        return 0
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    position = parse_position(text)
    return position[0] if position else 0
