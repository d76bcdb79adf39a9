"""A chat room over Server-Sent Events.  Run: ``uvicorn examples.live_chat.app:app``.

Open two terminals: ``curl -N 'http://127.0.0.1:8000/ajax/_live/sse?topic=chat/lobby'``
in one, ``curl -d text=hi http://127.0.0.1:8000/ajax/chat/lobby`` in the other.
Set ``AJAXKIT_BROKER=redis://127.0.0.1:6379/0`` to share the room between
several server processes.
"""

import os

from starlette.applications import Starlette
from starlette.routing import Mount

import ajaxkit.starlette
from ajaxkit import Ajax
from ajaxkit.live import Live

api = Ajax()
live = Live(api, broker=os.environ.get("AJAXKIT_BROKER", "memory://"))
# --8<-- [start:topics]
live.topic("chat/{room}", authorize=lambda request, topic, action: topic != "chat/staff")


@api.endpoint("chat/{room}", methods=["POST"], csrf_exempt=True)
def say(request, room: str, text: str):
    cursor = live.publish(f"chat/{room}", {"text": text})
    return {"cursor": cursor}, 201


# --8<-- [end:topics]


app = Starlette(routes=[Mount("/ajax", app=ajaxkit.starlette.app(api))])
