"""The demo on PostgreSQL (``--database-url``) and Redis (``--redis``), as real processes.

Each run uses its own throwaway database and its own Redis key prefix, and
removes them afterwards, so runs in parallel never meet.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.demo import users
from tests.demo_server import ROOT, running_demo
from tests.services import postgres_url, redis_url, require_postgres, require_redis

pytestmark = pytest.mark.slow


def _write_headers() -> dict[str, str]:
    """What the browser client sends with a write: a same-origin fetch, and a retry key."""
    return {"Sec-Fetch-Site": "same-origin", "Idempotency-Key": f'"{secrets.token_hex(16)}"'}


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    require_postgres()
    import psycopg

    name = f"demo_grows_{secrets.token_hex(6)}"
    admin = postgres_url("postgresql")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A Redis key prefix of this test's own, whose keys are deleted afterwards."""
    require_redis()
    import redis

    namespace = f"demo-grows-test-{secrets.token_hex(6)}"
    yield namespace
    with redis.Redis.from_url(redis_url()) as client:
        keys = list(client.scan_iter(match=f"*{namespace}*"))
        if keys:
            client.delete(*keys)


@pytest.mark.postgres
def test_the_demo_runs_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    import psycopg

    with (
        running_demo(tmp_path, args=["--database-url", postgres_database]) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        found = http.get("ajax/users/search", params={"q": "al", "limit": 50}).json()
        # Same users, same order as on SQLite: byte-wise on the folded names.
        folded = users.fold("al")
        expected = sorted((n for n in users.NAMES if folded in users.fold(n)), key=users.fold)
        assert [user["name"] for user in found] == expected
        assert http.get("ajax/users/search", params={"q": "%"}).json() == []
        # A NUL, which PostgreSQL refuses in text, is the sender's 422, not a 500.
        assert http.get("ajax/users/search", params={"q": "a\x00"}).status_code == 422
        created = http.post(
            "ajax/people",
            json={"name": "Barbara Liskov", "email": "barbara@example.org", "role": "engineer"},
            headers=_write_headers(),
        )
        assert created.status_code == 201, created.text
    with psycopg.connect(postgres_database.replace("+psycopg", "")) as connection:
        rows = connection.execute("SELECT name FROM people WHERE email = 'barbara@example.org'")
        assert rows.fetchall() == [("Barbara Liskov",)]
        (count,) = connection.execute("SELECT count(*) FROM users").fetchone() or (0,)
        assert count == len(users.NAMES)


def _next_event(stream: Iterator[str], event: str) -> dict[str, object]:
    """The data of the next ``event`` frame of an SSE line stream."""
    name = None
    for line in stream:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name == event:
            data: dict[str, object] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError(f"the stream ended before a {event!r} event")


@pytest.mark.redis
def test_live_events_cross_processes_through_redis(tmp_path: Path, redis_namespace: str) -> None:
    import redis

    args = ["--redis", redis_url(), "--redis-namespace", redis_namespace]
    (tmp_path / "second").mkdir()
    with (
        running_demo(tmp_path, args=args) as first,
        running_demo(tmp_path / "second", args=args) as second,
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{first}ajax/_live/sse", params={"topic": "chat"}) as stream,
    ):
        lines = stream.iter_lines()
        next(lines)  # the stream is open on the first process

        def say() -> None:
            answer = http.post(
                f"{second}ajax/chat",
                json={"author": "B", "text": "via redis"},
                headers=_write_headers(),
            )
            assert answer.status_code == 201, answer.text

        sender = threading.Thread(target=say)
        sender.start()
        event = _next_event(lines, "chat")
        sender.join()
    assert event["text"] == "via redis"
    assert event["author"] == "B"
    with redis.Redis.from_url(redis_url()) as client:
        assert client.xlen(f"{{{redis_namespace}}}:live") == 1  # the log is in Redis
        assert list(client.scan_iter(match=f"{redis_namespace}:idem:*"))  # so is the retry key


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--database-url",
            "postgresql+psycopg://nobody@127.0.0.1:1/demo",
            "cannot use the database",
        ),
        ("--database-url", "nosuchdb://x/y", "not a usable SQLAlchemy URL"),
        ("--redis", "redis://127.0.0.1:1/0", "cannot reach Redis at redis://127.0.0.1:1/0"),
        ("--redis", "http://127.0.0.1:6379", "is not a Redis URL"),
    ],
)
def test_an_unusable_database_or_redis_is_one_line(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    command = [sys.executable, "-m", "examples.demo", "--port", "0", option, value]
    if option == "--redis":
        command += ["--database", str(tmp_path / "users.sqlite3")]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Demo running" not in result.stdout
