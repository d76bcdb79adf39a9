"""The demo in a real browser: Debian's Chromium, driven by Playwright.

The demo runs as its own process (``python -m examples.demo --port 0``), so
this is what a user gets from ``bash scripts/demo.sh``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from examples.demo import users
from examples.demo.api import MAX_QUERY_LENGTH
from tests.demo_server import running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Well under the page's 250 ms debounce: one burst of typing.
KEYSTROKE_MS = 40
#: Well over the debounce: long enough for a second request to have been sent.
SETTLE_MS = 600


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo(tmp_path_factory.mktemp("browser-demo")) as url:
        yield url


class SearchPage:
    """The demo page, with the search requests it has sent."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.searches: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self._record)
        page.on("dialog", self._dismiss)
        page.goto(url)
        page.wait_for_selector("html[data-ready=true]")
        self.input = page.locator("#search-input")
        self.results = page.locator("#results li")
        self.status = page.locator("#status")
        self.error = page.locator("#error")

    def _record(self, request: Request) -> None:
        if urlsplit(request.url).path == "/ajax/users/search":
            self.searches.append(parse_qs(urlsplit(request.url).query)["q"][0])

    def _dismiss(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def type(self, text: str) -> None:
        """Type like a person: one key at a time, quicker than the debounce."""
        self.input.press_sequentially(text, delay=KEYSTROKE_MS)

    def names(self) -> list[str]:
        return self.page.locator("#results .name").all_text_contents()


@pytest.fixture
def search_page(browser: Browser, demo_url: str) -> Iterator[SearchPage]:
    context = browser.new_context()
    try:
        yield SearchPage(context.new_page(), demo_url)
    finally:
        context.close()


def expected_names(query: str, limit: int = 10) -> list[str]:
    """What the page should list, worked out from the seed data."""
    needle = users.fold(query)
    return sorted((n for n in users.NAMES if needle in users.fold(n)), key=users.fold)[:limit]


def test_typing_lists_matching_users(search_page: SearchPage) -> None:
    search_page.type("mar")
    search_page.status.get_by_text("shown for “mar”").wait_for()
    assert search_page.names() == expected_names("mar")
    assert search_page.names() == [
        "Bob Martin",
        "Hedy Lamarr",
        "José Martí",
        "Margaret Hamilton",
        "Marie Curie",
        "Mario Molina",
        "Mary Shelley",
    ]
    assert search_page.page.locator("#results mark").first.text_content() in {"mar", "Mar"}
    assert search_page.error.is_hidden()


def test_one_request_per_typing_burst(search_page: SearchPage) -> None:
    search_page.type("jos")
    search_page.status.get_by_text("shown for “jos”").wait_for()
    search_page.page.wait_for_timeout(SETTLE_MS)
    assert search_page.searches == ["jos"]

    search_page.type("e")
    search_page.status.get_by_text("shown for “jose”").wait_for()
    search_page.page.wait_for_timeout(SETTLE_MS)
    assert search_page.searches == ["jos", "jose"]
    assert search_page.names() == ["José Martí", "Josephine Baker"]


def test_no_results_state(search_page: SearchPage) -> None:
    search_page.type("qqq")
    search_page.status.get_by_text("No results for “qqq”.").wait_for()
    assert search_page.results.count() == 0
    assert search_page.error.is_hidden()


def test_clearing_the_box_clears_results_without_a_request(search_page: SearchPage) -> None:
    search_page.type("ada")
    search_page.status.get_by_text("shown for “ada”").wait_for()
    search_page.input.fill("")
    search_page.status.get_by_text("Type to search 50 users.").wait_for()
    search_page.page.wait_for_timeout(SETTLE_MS)
    assert search_page.results.count() == 0
    assert search_page.searches == ["ada"]


def test_error_state_shows_the_problem_detail(search_page: SearchPage, demo_url: str) -> None:
    query = "x" * (MAX_QUERY_LENGTH + 1)
    problem = httpx.get(f"{demo_url}ajax/users/search", params={"q": query}).json()
    search_page.input.fill(query)
    search_page.error.wait_for(state="visible")
    assert search_page.page.locator("#error-detail").text_content() == problem["detail"]
    field_error = problem["errors"][0]
    assert search_page.page.locator("#error-fields li").all_text_contents() == [
        f"{field_error['parameter']}: {field_error['detail']}"
    ]
    assert search_page.results.count() == 0

    search_page.input.fill("ada")  # a good query afterwards clears the error
    search_page.status.get_by_text("shown for “ada”").wait_for()
    assert search_page.error.is_hidden()


def test_markup_in_a_name_is_shown_as_text(search_page: SearchPage) -> None:
    search_page.type("mallory")
    search_page.status.get_by_text("shown for “mallory”").wait_for()
    assert search_page.names() == [users.HOSTILE_NAME]
    assert search_page.page.locator("#results img").count() == 0
    assert search_page.dialogs == []


def test_screenshot(search_page: SearchPage, artifacts: Path) -> None:
    search_page.type("al")
    search_page.status.get_by_text("shown for “al”").wait_for()
    path = artifacts / "demo.png"
    search_page.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one


#: An iPhone SE / small Android width, in CSS pixels.
PHONE: ViewportSize = {"width": 375, "height": 740}


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
    return width


def test_readable_at_phone_width(browser: Browser, demo_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(demo_url)
        page.wait_for_selector("html[data-ready=true][data-people=ready][data-feed-loaded=true]")
        page.locator("#search-input").press_sequentially("al", delay=KEYSTROKE_MS)
        page.locator("#status").get_by_text("shown for “al”").wait_for()
        assert overflow(page) == 0
        page.screenshot(path=str(artifacts / "phone.png"), full_page=True)
        # An open edit row and a field error must fit as well.
        page.locator("#people-rows tr").first.get_by_role("button", name="Edit").click()
        page.locator("#people-rows input[name=name]").fill("x" * 41)
        page.locator("#people-rows").get_by_role("button", name="Save").click()
        page.wait_for_selector("#people-rows input[name=name][aria-invalid=true]")
        assert overflow(page) == 0
        page.screenshot(path=str(artifacts / "phone-editing.png"), full_page=True)
    finally:
        context.close()
