"""WebSocket endpoints on Starlette.  Run: ``uvicorn examples.websocket_quickstart.app:app``.

Django serves the same ``api`` under ASGI with
``ajaxkit.django.asgi(get_asgi_application(), api, prefix="/ajax/")``.
"""

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Mount

import ajaxkit.starlette
from ajaxkit import Ajax, WebSocket

api = Ajax()


# --8<-- [start:endpoints]
@api.websocket("echo")
async def echo(ws: WebSocket, shout: bool = False):
    async for message in ws:  # ends when the client goes away
        await ws.send(message.upper() if shout and isinstance(message, str) else message)


# Refused before accept (401) when anonymous; closed with 4429 past 20 notes a second.
@api.websocket("rooms/{room}", login_required=True, message_rate="20/second")
async def room(ws: WebSocket, room: str):
    await ws.send_json({"joined": room, "as": ws.user.username})
    while True:
        note = await ws.receive_json()
        await ws.send_json({"room": room, "note": note})


# --8<-- [end:endpoints]


class DemoCookieAuth(AuthenticationBackend):
    """Demo only: trusts a ``user`` cookie. Use your real session backend."""

    async def authenticate(self, conn):
        username = conn.cookies.get("user")
        return (AuthCredentials(["authenticated"]), SimpleUser(username)) if username else None


app = Starlette(
    routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))],
    middleware=[Middleware(AuthenticationMiddleware, backend=DemoCookieAuth())],
)
