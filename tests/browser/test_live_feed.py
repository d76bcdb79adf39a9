"""The demo's live activity feed in real Chromium: two pages, and a server restart."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.demo_server import running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE_JS = Path(__file__).resolve().parents[2] / "src/ajaxkit/static/ajaxkit/live.js"


def _sse_retry_ms() -> int:
    """The client's wait before it tries EventSource again (``SSE_RETRY_MS``)."""
    found = re.search(r"export const SSE_RETRY_MS = ([\d_]+);", LIVE_JS.read_text())
    assert found, "SSE_RETRY_MS is no longer a constant of live.js"
    return int(found.group(1).replace("_", ""))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _is_live_poll(request: Request) -> bool:
    """A long-poll for events after a cursor (not the page's first look at the head)."""
    return "/_live/poll?" in request.url and "cursor=" in request.url


class FeedPage:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("html[data-feed=open]")

    def post(self, text: str) -> None:
        self.page.locator("#feed-input").fill(text)
        self.page.locator("#feed-form button").click()

    def wait_for_line(self, text: str) -> None:
        """Wait until a line holding ``text`` is shown."""
        self.page.locator("#feed-items .text", has_text=text).wait_for(timeout=10_000)

    def lines(self) -> list[str]:
        return self.page.locator("#feed-items .text").all_text_contents()


def test_a_line_posted_in_one_page_appears_in_the_other_and_survives_a_restart(
    browser: Browser,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    port = _free_port()
    first, second = browser.new_context(), browser.new_context()
    for context in (first, second):
        # The pages' timers run on a clock the test can move on (time flows as usual).
        context.clock.install()
    try:
        with running_demo(tmp_path, port=port) as url:
            alice = FeedPage(first.new_page(), url)
            bob = FeedPage(second.new_page(), url)
            alice.post("hello from alice <b>not bold</b>")
            bob.wait_for_line("hello from alice")
            assert bob.lines() == ["hello from alice <b>not bold</b>"]  # text, not markup
            bob.post("hi alice")
            alice.wait_for_line("hi alice")
            bob.page.screenshot(path=str(artifacts / "feed-before-restart.png"))
        # The server is gone; the pages stay open and start reconnecting.
        bob.page.wait_for_selector("html[data-feed=reconnecting]", timeout=10_000)
        # It stays gone long enough for the EventSource to give way to long-poll.
        bob.page.wait_for_event("request", _is_live_poll, timeout=20_000)
        with running_demo(tmp_path, port=port):
            # The server is back: rather than wait SSE_RETRY_MS before the
            # pages try EventSource again, the test moves their clocks on.
            for context in (first, second):
                context.clock.fast_forward(_sse_retry_ms())
            # "open" is the EventSource's state: the page went back to it.
            bob.page.wait_for_selector("html[data-feed=open]", timeout=15_000)
            alice.page.wait_for_selector("html[data-feed=open]", timeout=15_000)
            # The in-memory log started afresh: the pages were told, once.
            assert bob.page.get_attribute("html", "data-feed-reset") == "true"
            alice.post("after the restart")
            bob.wait_for_line("after the restart")
            # Nothing lost, nothing twice: the lines from before the restart
            # stay, and reloading the stored lines on the reset added no copy.
            expected = ["after the restart", "hi alice", "hello from alice <b>not bold</b>"]
            assert bob.lines() == expected
            assert alice.lines() == expected
            bob.page.screenshot(path=str(artifacts / "feed-after-restart.png"))
    finally:
        first.close()
        second.close()
