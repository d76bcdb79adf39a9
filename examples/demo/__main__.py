"""``python -m examples.demo [--port N] [--host H] [--database PATH]``.

Prints ``Demo running at http://127.0.0.1:<port>/`` once the port is
listening, so a script (or a test) can read the URL off the first line.
``--port 0`` picks a free port.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from examples.demo.app import DEFAULT_DATABASE, create_app


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help="SQLite file, created and seeded on first run (default: %(default)s)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn's log level")
    return parser.parse_args(argv)


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
    """Bind the port, seed the database, print the URL, serve until interrupted."""
    args = parse_args(argv)
    # Bound and listening before the URL is printed: whoever reads the line
    # can connect at once (early connections wait in the backlog).  Bound
    # first of all, so a busy port fails before any other work.
    sock = listen(args.host, args.port)
    app = create_app(args.database)
    host, port = sock.getsockname()[:2]
    print(f"Demo running at http://{host}:{port}/", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
