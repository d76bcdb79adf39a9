"""The demo's people table in real Chromium: live edits, a 412 conflict, a 422 on its field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.demo_server import running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    with running_demo(tmp_path) as url:
        yield url


class PeoplePage:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("html[data-people=ready]")
        self.status = page.locator("#people-status")

    def row(self, name: str) -> Locator:
        return self.page.locator("#people-rows tr", has_text=name)

    def row_by_id(self, pk: str) -> Locator:
        return self.page.locator(f"#people-rows tr[data-id='{pk}']")

    def edit(self, name: str) -> Locator:
        row = self.row(name)
        pk = row.get_attribute("data-id")
        assert pk is not None
        row.get_by_role("button", name="Edit").click()
        editing = self.row_by_id(pk)
        editing.locator("input[name=name]").wait_for()
        return editing


def test_an_edit_shows_live_elsewhere_and_a_stale_edit_gets_412(
    browser: Browser, demo: str, tmp_path: Path
) -> None:
    first, second = browser.new_context(), browser.new_context()
    try:
        alice = PeoplePage(first.new_page(), demo)
        bob = PeoplePage(second.new_page(), demo)
        bobs_row = bob.edit("Margaret Hamilton")  # bob starts editing first
        alices_row = alice.edit("Margaret Hamilton")
        alices_row.locator("input[name=name]").fill("Margaret H. Hamilton")
        alices_row.get_by_role("button", name="Save").click()
        alice.status.get_by_text("Saved Margaret H. Hamilton.").wait_for()
        # Bob's copy is stale: the live update marks it, and saving is refused.
        bob.page.wait_for_selector("#people-rows tr[data-stale=true]")
        bobs_row.locator("input[name=role]").fill("engineer")
        bobs_row.get_by_role("button", name="Save").click()
        bob.status.get_by_text("Someone changed this row").wait_for()
        bob.row("Margaret H. Hamilton").wait_for()  # their version, not ours
        bob.page.screenshot(path=str(tmp_path / "people-conflict.png"), full_page=True)
        # Rows bob is not editing follow alice's saves at once.
        other = alice.edit("Ken Thompson")
        other.locator("input[name=name]").fill("Ken L. Thompson")
        other.get_by_role("button", name="Save").click()
        bob.row("Ken L. Thompson").wait_for()
    finally:
        first.close()
        second.close()


def test_a_validation_problem_is_shown_on_its_field(browser: Browser, demo: str) -> None:
    context = browser.new_context()
    try:
        page = PeoplePage(context.new_page(), demo)
        row = page.edit("Susan Kare")
        row.locator("input[name=name]").fill("x" * 41)
        row.locator("input[name=role]").fill("astronaut")
        row.get_by_role("button", name="Save").click()
        page.page.wait_for_selector("input[name=name][aria-invalid=true]")
        assert row.locator("input[name=role][aria-invalid=true]").count() == 1
        assert "40" in (row.locator(".field-error").first.text_content() or "")
        assert row.locator("input[name=email][aria-invalid=true]").count() == 0
    finally:
        context.close()
