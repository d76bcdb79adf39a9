"""``python -m examples.demo [--port N] [--host H] [--database PATH]``.

Prints ``Demo running at http://127.0.0.1:<port>/`` once the port is
listening, so a script (or a test) can read the URL off the first line.
``--port 0`` picks a free port.
"""

from __future__ import annotations

import argparse
import socket
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


def main(argv: Sequence[str] | None = None) -> None:
    """Seed the database, bind the port, print the URL, serve until interrupted."""
    args = parse_args(argv)
    app = create_app(args.database)
    # Bound and listening before the URL is printed: whoever reads the line
    # can connect at once (early connections wait in the backlog).
    sock = socket.create_server((args.host, args.port))
    host, port = sock.getsockname()[:2]
    print(f"Demo running at http://{host}:{port}/", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
