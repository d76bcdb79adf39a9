"""The demo's chat in real Chromium: two pages, and a restart that loses no message.

The chat shares the activity feed's machinery (``static/channel.js``): lines
are stored, then published; a page subscribes from the cursor it took before
loading the stored lines, and reloads them when the live log cannot resume.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.demo_server import running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Long enough for a page to back off and reconnect after a restart.
RECONNECT_MS = 45_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ChatPage:
    def __init__(self, page: Page, url: str, name: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("html[data-chat-loaded=true]")
        page.locator("#chat-author").fill(name)

    def say(self, text: str) -> None:
        self.page.locator("#chat-text").fill(text)
        self.page.locator("#chat-form button").click()

    def wait_for(self, text: str, timeout: float = 10_000) -> None:
        self.page.locator("#chat-items .text", has_text=text).wait_for(timeout=timeout)

    def messages(self) -> list[str]:
        """``author: text`` of every message shown, oldest first."""
        items = self.page.locator("#chat-items li")
        return [
            f"{item.locator('.author').text_content()}: {item.locator('.text').text_content()}"
            for item in items.all()
        ]


def test_messages_cross_pages_and_survive_a_restart_without_loss(
    browser: Browser, tmp_path: Path, artifacts: Path
) -> None:
    port = _free_port()
    first, second = browser.new_context(), browser.new_context()
    cut_off = True

    def while_cut_off(route: Route) -> None:
        if cut_off:
            route.abort("connectionrefused")
        else:
            route.continue_()

    try:
        with running_demo(tmp_path, port=port) as url:
            alice = ChatPage(first.new_page(), url, "Alice")
            bob = ChatPage(second.new_page(), url, "Bob")
            alice.say("hi <b>bob</b>")
            bob.wait_for("hi <b>bob</b>")
            bob.say("hi alice")
            alice.wait_for("hi alice")
            # Bob's live stream is cut before the server goes away, and
            # stays cut until after a message was sent: he can only get it
            # by reloading the stored messages when he is told of the reset.
            bob.page.route("**/ajax/_live/**", while_cut_off)
        with running_demo(tmp_path, port=port):
            alice.page.wait_for_selector("html[data-chat-reset=true]", timeout=RECONNECT_MS)
            alice.say("sent while bob was away")
            alice.wait_for("sent while bob was away")
            cut_off = False
            bob.wait_for("sent while bob was away", timeout=RECONNECT_MS)
            assert bob.page.get_attribute("html", "data-chat-reset") == "true"
            bob.say("back")
            alice.wait_for("back")
            expected = [
                "Alice: hi <b>bob</b>",  # text, not markup
                "Bob: hi alice",
                "Alice: sent while bob was away",
                "Bob: back",
            ]
            assert bob.messages() == expected
            assert alice.messages() == expected
            assert bob.page.locator("#chat-items b").count() == 0
            bob.page.screenshot(path=str(artifacts / "chat-after-restart.png"), full_page=True)
    finally:
        first.close()
        second.close()
