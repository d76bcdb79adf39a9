"""``ajaxkit.django.asgi``: what goes to ajaxkit and what goes to the wrapped application."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test.utils import override_settings

import ajaxkit.django
from ajaxkit import Ajax, WebSocket
from ajaxkit.core.asgi import Message, Scope

pytestmark = pytest.mark.django


class Recorder:
    """Stands for Django's application: remembers the scopes it was given."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.scopes.append(scope)


def make_api() -> Ajax:
    api = Ajax()

    @api.websocket("live")
    async def live(ws: WebSocket) -> None:
        await ws.send("ajaxkit")

    return api


def call(app: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []
    inbox: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.disconnect"}]

    async def receive() -> Message:
        # The session stops reading after the disconnect.
        return inbox.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def websocket(path: str, root_path: str = "") -> Scope:
    return {"type": "websocket", "path": path, "root_path": root_path, "headers": []}


@pytest.mark.parametrize("prefix", ["/ajax/", "/ajax", "ajax"])
def test_websockets_under_the_prefix_go_to_ajaxkit(prefix: str) -> None:
    django = Recorder()
    app = ajaxkit.django.asgi(django, make_api(), prefix=prefix)
    sent = call(app, websocket("/ajax/live"))
    assert {"type": "websocket.send", "text": "ajaxkit"} in sent
    assert django.scopes == []


def test_root_path_is_not_part_of_the_route() -> None:
    app = ajaxkit.django.asgi(Recorder(), make_api(), prefix="/ajax/")
    sent = call(app, websocket("/site/ajax/live", root_path="/site"))
    assert {"type": "websocket.send", "text": "ajaxkit"} in sent


@pytest.mark.parametrize(
    "scope",
    [
        {"type": "http", "path": "/ajax/live"},
        {"type": "lifespan"},
        websocket("/ajax-other/live"),
        websocket("/elsewhere"),
    ],
    ids=["http", "lifespan", "similar-prefix", "elsewhere"],
)
def test_everything_else_goes_to_the_wrapped_application(scope: Scope) -> None:
    django = Recorder()
    app = ajaxkit.django.asgi(django, make_api(), prefix="/ajax/")
    assert call(app, scope) == []
    assert django.scopes == [scope]


def _handshake_from(origin: str, *, forwarded_proto: str | None = None) -> Scope:
    headers = [(b"host", b"example.com"), (b"origin", origin.encode())]
    if forwarded_proto is not None:
        headers.append((b"x-forwarded-proto", forwarded_proto.encode()))
    return {
        "type": "websocket",
        "scheme": "ws",
        "path": "/ajax/live",
        "root_path": "",
        "headers": headers,
    }


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_a_handshake_behind_a_tls_proxy_is_from_its_https_origin() -> None:
    # SECURE_PROXY_SSL_HEADER tells Django the site is served over HTTPS
    # (the proxy speaks ws:// to it); the page's Origin then says https,
    # and the handshake from its own site was refused as cross-site.
    app = ajaxkit.django.asgi(Recorder(), make_api(), prefix="/ajax/")
    sent = call(app, _handshake_from("https://example.com", forwarded_proto="https"))
    assert {"type": "websocket.send", "text": "ajaxkit"} in sent
    # Without the proxy's word, https is another origin than this ws:// one.
    refused = call(app, _handshake_from("https://example.com"))
    assert refused == [{"type": "websocket.close", "code": 4403, "reason": "csrf_failed"}]
