"""Live(api) registers its three transports whole or not at all."""

from __future__ import annotations

import pytest

from ajaxkit import Ajax, RegistrationError
from ajaxkit.live import Live


def test_a_clash_on_one_transport_leaves_none_behind() -> None:
    api = Ajax()

    @api.websocket("_live/ws")
    async def mine(ws: object) -> None: ...

    before = {route.pattern: dict(route.endpoints) for route in api.router}
    with pytest.raises(RegistrationError, match=r"_live/ws.*mine"):
        Live(api)
    assert {route.pattern: dict(route.endpoints) for route in api.router} == before


def test_a_second_hub_on_one_registry_is_refused_and_the_first_kept() -> None:
    api = Ajax()
    live = Live(api)
    with pytest.raises(RegistrationError, match=r"_live/sse"):
        Live(api)
    route, _ = api.router.match("_live/poll")
    assert route.endpoints["GET"].func == live._poll


def test_the_event_stream_says_it_cannot_be_batched() -> None:
    # Its answer lasts as long as the stream: refused before it runs (K5),
    # not after its topics were authorized and its stream made.
    api = Ajax()
    Live(api)
    route, _ = api.router.match("_live/sse")
    reason = route.endpoints["GET"].unbatchable
    assert reason is not None and "stream" in reason


def test_the_long_poll_says_it_cannot_be_batched() -> None:
    # It may wait poll_timeout before it answers: as an item it would hold
    # the whole batch (K5).  The flag, not its path, is what the batch reads.
    api = Ajax()
    Live(api)
    route, _ = api.router.match("_live/poll")
    reason = route.endpoints["GET"].unbatchable
    assert reason is not None and "long-poll" in reason
