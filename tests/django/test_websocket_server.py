"""Django's ASGI application wrapped by ``ajaxkit.django.asgi``, served for real by uvicorn.

The conformance suite drives the same wrapper in-process; this proves the
wire through a real server on 127.0.0.1: HTTP still reaches Django, the
session cookie logs the socket in, a refusal is a real HTTP problem
response, and a client that goes away ends its handler.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from django.contrib.auth import get_user_model
from django.core.asgi import get_asgi_application
from django.test import Client as DjangoTestClient
from django.test.utils import override_settings
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect

import ajaxkit.django
from tests.conformance.app import WEBSOCKET_ENDED
from tests.django_project import conformance_async_urls
from tests.waiting import wait_until

pytestmark = pytest.mark.django


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` on uvicorn in a thread, on an ephemeral port; yields ``host:port``."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", ws="websockets-sansio", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    application: Any = get_asgi_application()
    for prefix, api in conformance_async_urls.APIS.items():
        application = ajaxkit.django.asgi(application, api, prefix=prefix)
    with (
        override_settings(ROOT_URLCONF=conformance_async_urls.__name__),
        serving(application) as at,
    ):
        yield at


def session_cookie(username: str) -> str:
    user, _ = get_user_model().objects.get_or_create(username=username)
    client = DjangoTestClient()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_http_still_reaches_django(server: str) -> None:
    response = httpx.get(f"http://{server}/ajax/hello")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, World!"}


def test_echo_over_a_real_socket(server: str) -> None:
    with connect(f"ws://{server}/ajax/ws/echo?prefix=>") as ws:
        ws.send("hi")
        assert ws.recv(timeout=5) == ">hi"
        ws.send(json.dumps({"n": 1}))
        assert json.loads(ws.recv(timeout=5))["echo"] == {"n": 1}


def test_the_session_cookie_logs_the_socket_in(server: str) -> None:
    cookie = session_cookie("carol")
    with connect(f"ws://{server}/ajax/ws/whoami", additional_headers={"Cookie": cookie}) as ws:
        assert json.loads(ws.recv(timeout=5)) == {"username": "carol"}


def test_refusal_is_the_http_problem_before_any_upgrade(server: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{server}/ajax/ws/whoami")
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["code"] == "not_authenticated"


def test_handler_exception_closes_1011_with_the_logged_error_id(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="ajaxkit"),
        connect(f"ws://{server}/ajax/ws/boom") as ws,
    ):
        ws.send("go")
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)
    frame = closed.value.rcvd
    assert frame is not None and frame.code == 1011
    code, _, error_id = frame.reason.partition(" ")
    assert code == "internal_error"
    assert [r for r in caplog.records if error_id in r.getMessage()]


def test_a_client_going_away_ends_the_handler(server: str) -> None:
    run = uuid.uuid4().hex
    with connect(f"ws://{server}/ajax/ws/wait/{run}") as ws:
        assert ws.recv(timeout=5) == "ready"
    wait_until(lambda: run in WEBSOCKET_ENDED, "the handler to end", timeout=5)
    assert WEBSOCKET_ENDED[run] is True
