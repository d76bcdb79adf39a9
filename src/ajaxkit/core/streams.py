"""Streamed response bodies, driven by the core on WSGI and ASGI alike.

A handler streams by returning an iterator — sync or async — or a
:class:`Stream`:

- a bare iterator (a generator, say) is sent as newline-delimited JSON
  (``application/x-ndjson``): each item encoded like a handler result, one
  per line (line breaks the encoder writes, JSON whitespace, are dropped);
- ``Stream(chunks, media_type=...)`` sends ``bytes``/``str`` chunks as they
  are (Server-Sent Events are built on this).

What every stream gets from the core, whatever the framework:

- an exception raised while streaming is logged once with an error id naming
  the endpoint, and the stream ends cleanly; the profile decides whether a
  last frame describing the problem is written (the default profile writes
  one when the stream knows how to frame it, as NDJSON does);
- the handler's ``finally`` runs when the client goes away: ASGI integrations
  notice the disconnect from ``receive`` (:mod:`ajaxkit.core.asgi`), WSGI
  servers close the response iterable; a sync generator the client left
  while a thread was inside it is closed (in a thread) once that step ends;
- under WSGI an async iterator runs on a private event loop thread, one chunk
  in flight at a time (the bounded bridge), so it works on Flask and Django's
  sync views too.

A :class:`PushSource` is a third kind of chunks, for streams that mostly
wait (live events): nothing waits *for* its chunks.  Under ASGI the
connection's own task waits for the client to leave, and a short-lived task
writes whenever the source says it has something (:mod:`ajaxkit.core.asgi`),
so an idle connection costs that one task and no other; elsewhere it is
pulled like an async iterator (:func:`pull`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import Future
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from ajaxkit.core.errors import error_context

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform, ThreadRunner
    from ajaxkit.core.settings import Settings
    from ajaxkit.types import AjaxRequest

__all__ = [
    "NDJSON_TYPE",
    "CloseChunks",
    "PushSource",
    "Stream",
    "is_push_source",
    "is_stream_result",
    "ndjson_line",
    "pull",
    "resolver",
    "served_by_sync_server",
]

NDJSON_TYPE = "application/x-ndjson"

#: ``frame(problem_document) -> bytes``: how a stream writes its last frame.
ErrorFramer = Callable[[Mapping[str, Any]], bytes]


@runtime_checkable
class PushSource(Protocol):
    """Chunks that arrive by themselves, announced through a callback.

    Every method is called on the event loop that drives the stream.
    """

    async def start(self) -> None:
        """Get ready (open a subscription); chunks may be waiting afterwards."""
        ...

    def take(self) -> bytes:
        """Every chunk ready now, joined; ``b""`` when none."""
        ...

    @property
    def finished(self) -> bool:
        """No chunk will come any more: the stream ends once ``take`` is empty."""
        ...

    def listen(self, ready: Callable[[], None] | None) -> None:
        """Call ``ready()`` when chunks wait or the source finishes (``None``: stop)."""
        ...

    def seconds(self) -> float | None:
        """End the stream after this long (``None``: when the source finishes).

        Asked once the stream is being driven, so a source may answer
        differently under a WSGI server (:func:`served_by_sync_server`).
        """
        ...

    async def aclose(self) -> None:
        """Release what :meth:`start` took; called once, however the stream ended."""
        ...


Chunks = Iterator[Any] | AsyncIterator[Any] | PushSource


def resolver(future: asyncio.Future[None]) -> Callable[[], None]:
    """A callback completing ``future`` once; later calls do nothing."""

    def resolve() -> None:
        if not future.done():
            future.set_result(None)

    return resolve


def is_push_source(value: Any) -> bool:
    """Whether ``value`` is a :class:`PushSource`."""
    return isinstance(value, PushSource)


async def pull(source: PushSource) -> AsyncIterator[bytes]:
    """``source`` as an async iterator: for WSGI (through the bridge) and Django's ASGI."""
    loop = asyncio.get_running_loop()
    await source.start()
    limit = source.seconds()
    deadline = None if limit is None else loop.time() + limit
    try:
        while True:
            data = source.take()
            if data:
                yield data
                continue  # more may have come while the consumer had this chunk
            if source.finished:
                return
            ready: asyncio.Future[None] = loop.create_future()
            source.listen(resolver(ready))
            try:
                timeout = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait_for(ready, timeout)
            except asyncio.TimeoutError:
                return
            finally:
                source.listen(None)
    finally:
        await source.aclose()


def is_stream_result(value: Any) -> bool:
    """Whether a handler's result is streamed: an iterator (not a list) or a Stream."""
    return (
        isinstance(value, Stream)
        or hasattr(value, "__anext__")
        or (hasattr(value, "__next__") and not isinstance(value, (str, bytes)))
    )


def ndjson_line(text: bytes) -> bytes:
    """JSON ``text`` as one NDJSON record: on one line, ended by LF.

    An encoder may write JSON over several lines (indented, or with CRLF or
    CR line ends), which would split the record.  Outside strings a CR or LF
    is whitespace, and inside one it is escaped (valid JSON holds none raw),
    so deleting them all leaves the same JSON, whole, on one line.
    """
    if b"\n" in text or b"\r" in text:
        text = text.translate(None, b"\r\n")
    return text + b"\n"


class Stream:
    """A response body sent chunk by chunk.

    Args:
        chunks: a sync or async iterator of ``bytes``/``str`` (or of values
            when ``encode`` is given).
        media_type: the ``Content-Type`` of the response.
        status: the response status.
        headers: extra response headers.
        encode: turns each item into bytes (NDJSON streams encode JSON).
        error_frame: writes the last frame after an error, from the problem
            document; ``None`` ends the stream without one.
    """

    __slots__ = (
        "_context",
        "_pulling",
        "chunks",
        "encode",
        "error_frame",
        "headers",
        "media_type",
        "push",
        "status",
    )

    def __init__(
        self,
        chunks: Chunks,
        *,
        media_type: str = "application/octet-stream",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        encode: Callable[[Any], bytes] | None = None,
        error_frame: ErrorFramer | None = None,
    ) -> None:
        #: Set when the chunks are a :class:`PushSource` (ASGI writes it without a pump).
        self.push: PushSource | None = (
            cast("PushSource", chunks) if is_push_source(chunks) else None
        )
        self.chunks = pull(chunks) if self.push is not None else chunks  # type: ignore[arg-type]
        self.media_type = media_type
        self.status = status
        self.headers = dict(headers or {})
        self.encode = encode
        self.error_frame = error_frame
        self._context: tuple[Settings, AjaxRequest | None, Platform, str] | None = None
        # The pull of a sync chunk running in a thread (ASGI), if one is.
        self._pulling: asyncio.Future[Any] | None = None

    @classmethod
    def ndjson(cls, items: Chunks, settings: Settings) -> Stream:
        """A newline-delimited JSON stream of ``items``, one line each."""
        dumps = settings.encoder.dumps
        return cls(
            items,
            media_type=NDJSON_TYPE,
            encode=lambda item: ndjson_line(dumps(item)),
            error_frame=lambda problem: ndjson_line(dumps({"error": problem})),
        )

    @property
    def is_async(self) -> bool:
        """Whether the chunks come from an async iterator."""
        return hasattr(self.chunks, "__anext__")

    def bind(
        self, settings: Settings, request: AjaxRequest | None, platform: Platform, endpoint: str
    ) -> None:
        """Tell the stream whom it answers, so that an error is logged and framed."""
        self._context = (settings, request, platform, endpoint)

    # --- sync (WSGI) ----------------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:
        """The body for a WSGI server; closing it closes the handler's iterator."""
        source: Iterator[Any] = (
            _AsyncBridge(self.chunks)  # type: ignore[arg-type]
            if self.is_async
            else self.chunks  # type: ignore[assignment]
        )
        try:
            for item in source:
                yield self._bytes(item)
        except Exception as exc:
            last = self._failed(exc)
            if last:
                yield last
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    # --- async (ASGI) ---------------------------------------------------------

    async def __aiter__(self) -> AsyncGenerator[bytes, None]:
        """The body on an event loop; sync chunks are pulled in a thread."""
        try:
            if self.is_async:
                async for item in self.chunks:  # type: ignore[union-attr]
                    yield self._bytes(item)
            else:
                pull = self._pull_in_thread()
                while (item := await pull()) is not _END:
                    yield self._bytes(item)
        except Exception as exc:
            last = self._failed(exc)
            if last:
                yield last
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the handler's iterator, so its ``finally`` runs (a sync one's in a thread)."""
        chunks = self.chunks
        if hasattr(chunks, "aclose"):
            await chunks.aclose()
        elif hasattr(chunks, "close"):
            await self._close_pulled(chunks)

    async def _close_pulled(self, chunks: Any) -> None:
        """Close sync ``chunks``, off the event loop when closing runs their code.

        The client may leave while a thread is inside the generator (between
        chunks it may block on a query or a poll); closing it then would
        raise "generator already executing" and skip its ``finally``, so
        that pull is waited for first.
        """
        pulling, self._pulling = self._pulling, None
        if pulling is not None and not pulling.done():
            # Its chunk or its error has no one left to go to.
            with contextlib.suppress(Exception):
                await pulling
        await _close_off_loop(chunks, self._context[2].run_in_thread if self._context else None)

    def _pull_in_thread(self) -> Callable[[], Awaitable[Any]]:
        chunks: Iterator[Any] = self.chunks  # type: ignore[assignment]
        run_in_thread = self._context[2].run_in_thread if self._context else None

        def pull() -> Any:
            return next(chunks, _END)

        async def apull() -> Any:
            if run_in_thread is None:
                return pull()
            # Shielded: cancelling the response (the client left) cannot
            # stop the thread, and aclose must know when it is done.
            pulling = self._pulling = asyncio.ensure_future(run_in_thread(pull))
            item = await asyncio.shield(pulling)
            if item is _END:
                self._pulling = None  # done: closing it needs no thread
            return item

        return apull

    # --- shared ---------------------------------------------------------------

    def _bytes(self, item: Any) -> bytes:
        if self.encode is not None:
            return self.encode(item)
        if isinstance(item, bytes):
            return item
        if isinstance(item, str):
            return item.encode("utf-8")
        raise TypeError(
            f"A Stream without encode= yields bytes or str, not {type(item).__qualname__}."
        )

    def _failed(self, exc: Exception) -> bytes | None:
        """Log the error once; the last frame, if the profile and the stream want one."""
        if self._context is None:
            raise exc
        settings, request, platform, endpoint = self._context
        context = error_context(exc, settings, request, platform, endpoint)
        document = settings.profile.stream_error(context)
        if document is None or self.error_frame is None:
            return None
        return self.error_frame(document)


class CloseChunks:
    """The effect of closing chunks that will never be sent (a ``HEAD`` answer's).

    Closing runs a started generator's ``finally`` and releases what an
    iterator holds, now rather than whenever the collector finds it; an
    async iterator is closed on an event loop, as sending it would have.
    """

    __slots__ = ("chunks", "run_in_thread")

    def __init__(self, chunks: Chunks, run_in_thread: ThreadRunner | None = None) -> None:
        self.chunks = chunks
        self.run_in_thread = run_in_thread

    def sync(self) -> None:
        chunks = self.chunks
        if hasattr(chunks, "aclose"):
            _AsyncBridge(chunks).close()  # type: ignore[arg-type]
        elif hasattr(chunks, "close"):
            chunks.close()

    async def async_(self) -> None:
        chunks = self.chunks
        if hasattr(chunks, "aclose"):
            await chunks.aclose()
        elif hasattr(chunks, "close"):
            await _close_off_loop(chunks, self.run_in_thread)


_RUNS_NO_CODE = (inspect.GEN_CREATED, inspect.GEN_CLOSED)


async def _close_off_loop(chunks: Any, run_in_thread: ThreadRunner | None) -> None:
    """Close sync ``chunks`` from the event loop, in the thread that pulled them.

    A generator left early runs its ``finally`` when closed: releasing a
    cursor, a file or a transaction blocks, and on Django the ORM refuses
    to run on the loop (and owns a connection per thread).  Closing a
    generator not started or already finished runs no code, so it stays
    on the loop and costs no thread hop.
    """
    if run_in_thread is None or (
        inspect.isgenerator(chunks) and inspect.getgeneratorstate(chunks) in _RUNS_NO_CODE
    ):
        chunks.close()
    else:
        await run_in_thread(chunks.close)


class _End:
    def __repr__(self) -> str:
        return "END"


_END: Any = _End()


_SYNC_SERVER: ContextVar[bool] = ContextVar("ajaxkit_sync_server", default=False)


def served_by_sync_server() -> bool:
    """Inside a stream's async iterator: whether a WSGI server drives it (via the bridge).

    A stream that could run forever must end itself in time there, since it
    holds one of the server's few worker threads.
    """
    return _SYNC_SERVER.get()


async def _next(chunks: AsyncIterator[Any]) -> Any:
    # An async generator's body runs in the context of whoever awaits it.
    _SYNC_SERVER.set(True)
    return await chunks.__anext__()


class _AsyncBridge:
    """An async iterator consumed from sync code, on a private event loop thread.

    One ``__anext__`` is in flight at a time, so a slow consumer holds back
    the producer instead of buffering without bound.
    """

    def __init__(self, chunks: AsyncIterator[Any]) -> None:
        self._chunks = chunks
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ajaxkit-stream", daemon=True
        )
        self._thread.start()
        self._closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(_next(self._chunks), self._loop)
        try:
            return future.result()
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Close the async iterator on its loop, then stop the loop's thread."""
        if self._closed:
            return
        self._closed = True
        try:
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                asyncio.run_coroutine_threadsafe(aclose(), self._loop).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
