"""``python -m examples.demo [options]``: the demo, on SQLite or PostgreSQL, memory or Redis.

Zero configuration by default: a SQLite file beside the demo and the
in-process memory broker.  ``--database-url`` takes any SQLAlchemy URL
(``postgresql+psycopg://user@127.0.0.1:5432/demo``; the database must exist,
its tables are created); ``--redis redis://127.0.0.1:6379/0`` keeps the live
log and the idempotency records in Redis, under ``--redis-namespace``, so
the feed resumes without a reset across restarts and processes.

Prints ``Demo running at http://127.0.0.1:<port>/`` once the port is
listening, so a script (or a test) can read the URL off the first line.
``--port 0`` picks a free port.  A database or Redis that cannot be used is
a one-line error, not a traceback.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from examples.demo.app import DEFAULT_DATABASE, DEFAULT_NAMESPACE, DemoConfig, create_app
from examples.demo.database import DemoConfigError, sqlite_url

#: Seconds a stopping server gives the requests in flight.  An open page's
#: live stream never ends by itself, and uvicorn waits for every request
#: unless told how long: one Ctrl+C (or a restart's SIGTERM) would then wait
#: until every page is closed.
SHUTDOWN_GRACE_SECONDS = 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m examples.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help="SQLite file, created and seeded on first run (default: %(default)s)",
    )
    where.add_argument(
        "--database-url",
        metavar="URL",
        help="a SQLAlchemy URL instead, e.g. postgresql+psycopg://user@127.0.0.1:5432/demo",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="Redis for live events and idempotency records (default: in memory)",
    )
    parser.add_argument(
        "--redis-namespace",
        default=DEFAULT_NAMESPACE,
        metavar="NAME",
        help="prefix of the demo's Redis keys (default: %(default)s)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn's log level")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> DemoConfig:
    """The demo's configuration from parsed options."""
    return DemoConfig(
        database_url=args.database_url or sqlite_url(args.database),
        redis_url=args.redis,
        namespace=args.redis_namespace,
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, or exit with a message (not a traceback) if the port is taken."""
    try:
        return socket.create_server((host, port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        sys.exit(
            f"error: port {port} on {host} is already in use (another demo or server?).\n"
            f"Stop that process, or pick another port: --port {port + 1}, or --port 0 "
            "for any free one."
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Bind the port, open the database, print the URL, serve until interrupted."""
    args = parse_args(argv)
    # Bound and listening before the URL is printed: whoever reads the line
    # can connect at once (early connections wait in the backlog).  Bound
    # first of all, so a busy port fails before any other work.
    sock = listen(args.host, args.port)
    try:
        app = create_app(config_from(args))
    except DemoConfigError as exc:
        sock.close()
        sys.exit(f"error: {exc}")
    host, port = sock.getsockname()[:2]
    print(f"Demo running at http://{host}:{port}/", flush=True)
    config = uvicorn.Config(
        app, log_level=args.log_level, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
