"""The demo's people table in real Chromium: add, edit and delete live, a 412 conflict,
a 422 on its field, and a POST retried through a dropped connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.demo_server import demo_database, running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    browser: Browser, demo: str, artifacts: Path
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
        bob.page.screenshot(path=str(artifacts / "people-conflict.png"), full_page=True)
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


def people_named(workdir: Path, name: str) -> int:
    """How many rows of the demo's database have ``name`` (read by the test, not the page)."""
    with closing(sqlite3.connect(demo_database(workdir))) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM people WHERE name = ?", (name,)
        ).fetchone()
    return int(count)


def test_add_with_an_error_on_its_field_then_delete_live_in_a_second_page(
    browser: Browser, demo: str, tmp_path: Path, artifacts: Path
) -> None:
    first, second = browser.new_context(), browser.new_context()
    try:
        alice = PeoplePage(first.new_page(), demo)
        bob = PeoplePage(second.new_page(), demo)
        form = alice.page.locator("#person-form")
        form.locator("input[name=name]").fill("x" * 41)
        form.locator("input[name=email]").fill("ada@example.org")
        form.locator("input[name=role]").fill("engineer")
        form.get_by_role("button", name="Add").click()
        alice.page.wait_for_selector("#person-form input[name=name][aria-invalid=true]")
        assert "40" in (form.locator("[data-error-for=name]").text_content() or "")
        assert form.locator("[aria-invalid=true]").count() == 1  # only the bad field
        alice.page.screenshot(path=str(artifacts / "people-add-invalid.png"), full_page=True)
        assert people_named(tmp_path, "x" * 41) == 0

        form.locator("input[name=name]").fill("Ada Lovelace")
        form.get_by_role("button", name="Add").click()
        alice.status.get_by_text("Added Ada Lovelace.").wait_for()
        assert form.locator("[aria-invalid=true]").count() == 0  # the marks are cleared
        assert form.locator("input[name=name]").input_value() == ""
        bob.row("Ada Lovelace").wait_for()  # arrived live
        assert alice.row("Ada Lovelace").count() == 1
        assert people_named(tmp_path, "Ada Lovelace") == 1

        bob.row("Ada Lovelace").get_by_role("button", name="Delete").click()
        bob.status.get_by_text("Deleted Ada Lovelace.").wait_for()
        alice.row("Ada Lovelace").wait_for(state="detached")  # gone live
        assert people_named(tmp_path, "Ada Lovelace") == 0
    finally:
        first.close()
        second.close()


def test_a_post_retried_through_a_dropped_connection_creates_exactly_one_row(
    browser: Browser, demo: str, tmp_path: Path, artifacts: Path
) -> None:
    context = browser.new_context()
    try:
        page = PeoplePage(context.new_page(), demo)
        keys: list[str | None] = []
        answers: list[int] = []

        def drop_first_answer(route: Route) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            keys.append(route.request.headers.get("idempotency-key"))
            if len(keys) > 1:
                route.continue_()
                return
            # The server gets the POST and commits; the browser is then told
            # the connection failed, as when a connection drops mid-answer.
            answers.append(route.fetch().status)
            route.abort("connectionreset")

        page.page.route("**/ajax/people", drop_first_answer)
        form = page.page.locator("#person-form")
        form.locator("input[name=name]").fill("Radia Perlman")
        form.locator("input[name=email]").fill("radia@example.org")
        form.locator("input[name=role]").fill("engineer")
        form.get_by_role("button", name="Add").click()
        page.status.get_by_text("Added Radia Perlman.").wait_for()

        assert answers == [201]  # the first try did create the row
        assert len(keys) == 2 and keys[0] is not None and keys[0] == keys[1]
        assert people_named(tmp_path, "Radia Perlman") == 1
        page.page.wait_for_timeout(500)  # a late live event must not add a second row
        assert page.row("Radia Perlman").count() == 1
        page.page.screenshot(path=str(artifacts / "people-retried-post.png"), full_page=True)
    finally:
        context.close()
