"""An EventSource as a separate process, so a test can pause it (SIGSTOP).

``python -m tests.live.sse_reader URL OUT TOTAL [CURSOR]`` reads ``URL``,
reconnecting with ``Last-Event-ID`` whenever the stream ends or fails, until
it has seen the event whose ``n`` is ``TOTAL``; each event's ``n`` (or
``reset``) is appended to ``OUT`` as one line, and ``connect`` before the
first event of each connection.
"""

from __future__ import annotations

import sys
import time

import httpx
import orjson

from tests.live.sse_client import Received, read_stream


def main(url: str, out_path: str, total: int, cursor: str) -> None:
    received = Received(last_event_id=cursor)
    with open(out_path, "a", buffering=1) as out:
        while True:
            try:
                for _ in read_stream(url, received, timeout=30):
                    if received.connections != getattr(main, "seen", 0):
                        main.seen = received.connections  # type: ignore[attr-defined]
                        out.write("connect\n")
                    _id, event, data = received.events[-1]
                    if event == "ajaxkit-reset":
                        out.write("reset\n")
                        continue
                    n = orjson.loads(data)["n"]
                    out.write(f"{n}\n")
                    if n == total:
                        return
            except httpx.HTTPError:
                time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
