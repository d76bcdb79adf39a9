"""The demo's endpoint, data and server, without a browser (see tests/browser/ for that)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from ajaxkit.testing import Client
from examples.demo import users
from examples.demo.api import MAX_QUERY_LENGTH, create_api
from examples.demo.database import open_database, sqlite_url
from tests.demo_server import running_demo

SEARCH = "/ajax/users/search"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_database(sqlite_url(tmp_path_factory.mktemp("demo") / "users.sqlite3"))
    users.create_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(database: Engine) -> Client:
    return Client(create_api(database))


def names(client: Client, **params: object) -> list[str]:
    response = client.get(SEARCH, params=params)
    assert response.status == 200, response.text
    return [user["name"] for user in response.json()]


def test_database_is_seeded_once(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path / "nested" / "users.sqlite3"))
    try:
        users.create_database(engine)
        users.create_database(engine)  # a second start must not duplicate anyone
        assert users.count(engine) == len(users.NAMES) == 50
    finally:
        engine.dispose()


def test_search_matches_substrings_ignoring_case_by_name(client: Client) -> None:
    assert names(client, q="JOHN") == ["Alice Johnson", "Katherine Johnson"]


def test_search_ignores_accents_both_ways(client: Client) -> None:
    assert names(client, q="jose") == ["José Martí", "Josephine Baker"]
    assert names(client, q="Zoë") == ["Zoë Kravitz"]
    assert names(client, q="erdos") == ["Paul Erdős"]


def test_search_result_shape(client: Client) -> None:
    response = client.get(SEARCH, params={"q": "grace"})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {
            "id": 20,
            "name": "Grace Hopper",
            "email": "grace.hopper@example.com",
            "joined": "2021-01-16",
        }
    ]


def test_limit_caps_the_results(client: Client) -> None:
    assert len(names(client, q="a")) == 10
    assert names(client, q="a", limit=2) == names(client, q="a")[:2]


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "zzz"])
def test_blank_wildcard_and_unknown_queries_find_nobody(client: Client, query: str) -> None:
    assert names(client, q=query) == []


def test_markup_in_data_is_returned_as_data(client: Client) -> None:
    assert names(client, q="mallory") == [users.HOSTILE_NAME]


def test_overlong_query_is_a_validation_problem(client: Client) -> None:
    response = client.get(SEARCH, params={"q": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["parameter"] for e in problem["errors"]] == ["q"]


@pytest.mark.parametrize("query", ["a\x00", "\x00", "a\nb", "\x7f"])
def test_control_characters_in_a_query_are_a_validation_problem(client: Client, query: str) -> None:
    # PostgreSQL refuses a NUL in text: searched for, it was a 500.
    response = client.get(SEARCH, params={"q": query})
    assert response.status == 422
    assert [e["parameter"] for e in response.json()["errors"]] == ["q"]


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_bad_limit_is_a_validation_problem(client: Client, limit: str) -> None:
    response = client.get(SEARCH, params={"q": "a", "limit": limit})
    assert response.status == 422
    assert [e["parameter"] for e in response.json()["errors"]] == ["limit"]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.mark.slow
def test_server_prints_a_localhost_url(demo_url: str) -> None:
    assert demo_url.startswith("http://127.0.0.1:")
    assert demo_url.endswith("/")
    assert not demo_url.endswith(":0/")  # --port 0 reports the port it got


@pytest.mark.slow
def test_server_serves_page_script_and_endpoint(demo_url: str) -> None:
    with httpx.Client(base_url=demo_url) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'src="search.js"' in page.text
        script = http.get("/search.js")
        # Browsers refuse an ES module served with a non-JavaScript type.
        assert script.headers["content-type"].startswith("text/javascript")
        found = http.get("ajax/users/search", params={"q": "hopper"})
        assert found.json()[0]["name"] == "Grace Hopper"
        missing = http.get("ajax/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.slow
def test_stopping_the_server_does_not_wait_for_an_open_live_stream(tmp_path: Path) -> None:
    # A page's live stream never ends by itself: the server must not wait
    # for it when asked to stop (one Ctrl+C, or a restart's SIGTERM).
    with httpx.Client(timeout=10) as http, ExitStack() as streams:
        with running_demo(tmp_path) as url:
            stream = streams.enter_context(
                http.stream("GET", f"{url}ajax/_live/sse", params={"topic": "activity"})
            )
            assert stream.status_code == 200
            # Kept: a generator dropped half-read closes its connection.
            frames = stream.iter_raw()
            assert next(frames)  # the stream is open: its first frame came
            stopping = time.monotonic()
        # running_demo kills a server still running after 10 s of SIGTERM.
        assert time.monotonic() - stopping < 5


@pytest.mark.slow
def test_a_busy_port_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "examples.demo", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("channel", "body"),
    [
        ("chat", {"author": "ann", "text": "a\x00b"}),
        ("chat", {"author": "a\x1b[31m", "text": "hi"}),
        ("activity", {"text": "line\nbreak\x7f"}),
    ],
)
def test_control_characters_in_a_line_are_a_validation_problem(
    client: Client, channel: str, body: dict[str, str]
) -> None:
    # PostgreSQL refuses a NUL in text: stored, it was a 500, not the sender's error.
    key = f'"{uuid.uuid4()}"'
    response = client.post(f"/ajax/{channel}", json=body, headers={"Idempotency-Key": key})
    assert response.status == 422, response.text
    assert response.json()["code"] == "validation_failed"
