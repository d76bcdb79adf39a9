"""Django under ASGI: a client leaving mid-stream closes a sync generator on its ORM thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.test.utils import override_settings

from ajaxkit import Ajax, AjaxRequest, AjaxResponse
from ajaxkit.django import urls
from tests.django_project.catalog.models import Note

pytestmark = pytest.mark.django

#: What the generator's ``finally`` counted, or the error it raised.
SEEN: list[object] = []

api = Ajax()


@api.endpoint
def notes(request: AjaxRequest, slow_chunk: bool = False) -> AjaxResponse:
    def chunks() -> Iterator[bytes]:
        try:
            yield b"a"
            if slow_chunk:
                time.sleep(0.05)  # the client leaves while this chunk is made
            yield b"b"
        finally:
            try:
                SEEN.append(Note.objects.count())  # what releasing a cursor would do
            except Exception as exc:
                SEEN.append(exc)

    return AjaxResponse(headers={"Content-Type": "text/plain"}, stream=chunks())


urlpatterns = urls(api, asynchronous=True)

Message = dict[str, Any]


async def _leave_after_first_chunk(*, slow_send: bool) -> list[object]:
    """Request ``/notes``; the client goes away once the first chunk is sent.

    What the generator's ``finally`` saw by the time Django's handler returned.
    """
    first_chunk = asyncio.Event()
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            first_chunk.set()
            if slow_send:
                await asyncio.sleep(0.05)  # the client leaves while this is sent

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/notes",
        "raw_path": b"/notes",
        "root_path": "",
        "query_string": b"" if slow_send else b"slow_chunk=1",
        "headers": [(b"host", b"testserver"), (b"sec-fetch-site", b"same-origin")],
        "server": ("testserver", 80),
    }
    await ASGIHandler()(scope, receive, send)
    return list(SEEN)


@pytest.mark.parametrize("slow_send", [True, False], ids=["while-sending", "while-making"])
def test_a_sync_generator_left_early_is_closed_at_once_on_its_orm_thread(
    slow_send: bool,
) -> None:
    SEEN.clear()
    with override_settings(ROOT_URLCONF=__name__):
        seen = asyncio.run(_leave_after_first_chunk(slow_send=slow_send))
    count = Note.objects.count()
    (outcome,) = seen  # a count, not SynchronousOnlyOperation or "generator already executing"
    assert outcome == count
