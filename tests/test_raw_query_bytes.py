"""A query string with raw (unescaped) UTF-8 bytes binds the same text everywhere.

Browsers percent-encode a URL's query, but other clients (curl, scripts,
some proxies) send ``?q=café`` as raw UTF-8 bytes, which servers pass on
as they came: ASGI as the scope's ``query_string`` bytes, WSGI as Latin-1
text (PEP 3333).  Every integration must read them as UTF-8, undecodable
bytes as U+FFFD, as it reads percent-escapes (rules B1, U11); the
conformance clients cannot send such a query, they escape every URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import flask
import orjson
import pytest
from django.test import RequestFactory

import ajaxkit.flask
import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.django.adapter import to_ajax_request

RAW = b"q=caf\xc3\xa9&bad=\xff"
EXPECTED = {"q": "café", "bad": "\ufffd"}


def _api() -> Ajax:
    api = Ajax()

    @api.endpoint("echo")
    def echo(q: str, bad: str) -> dict[str, str]:
        return {"q": q, "bad": bad}

    return api


@pytest.mark.starlette
def test_starlette_reads_raw_utf8_query_bytes() -> None:
    app = ajaxkit.starlette.app(_api())
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "query_string": RAW,  # as uvicorn passes it: the bytes that came
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert orjson.loads(sent[1]["body"]) == EXPECTED


@pytest.mark.flask
def test_flask_reads_raw_utf8_query_bytes() -> None:
    app = flask.Flask(__name__)
    app.register_blueprint(ajaxkit.flask.blueprint(_api()), url_prefix="/ajax")
    answer = app.test_client().get(
        "/ajax/echo", environ_overrides={"QUERY_STRING": RAW.decode("latin-1")}
    )
    assert answer.get_json() == EXPECTED


@pytest.mark.django
def test_django_wsgi_reads_raw_utf8_query_bytes() -> None:
    # Under WSGI, as runserver and gunicorn hand it over: Latin-1 text.
    request = RequestFactory().get("/ajax/echo", QUERY_STRING=RAW.decode("latin-1"))
    assert dict(to_ajax_request(request, "echo").query.items()) == EXPECTED
