"""showErrors() on forms as pages write them, in real Chromium's DOM."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.test_client import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORM = """
<form id="f">
  <input name="title">
  <input name="items.1.title">
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="l">
  <input name="hint" aria-describedby="hint-help"><small id="hint-help">One line.</small>
</form>
"""

SHOW = """async (errors) => {
    const { showErrors, clearErrors } = await import('/ajax/ajaxkit.js');
    const form = document.getElementById('f');
    const attrs = (el) => [el.getAttribute('aria-invalid'), el.getAttribute('aria-describedby')];
    let unplaced;
    try {
        unplaced = showErrors(form, { errors }).map((e) => e.pointer);
    } catch (error) {
        return { threw: String(error) };
    }
    const radios = [...form.querySelectorAll('[name=size]')].map(attrs);
    const message = (name) => form.querySelector(`[data-error-for="${name}"]`)?.textContent;
    const shown = { radios, hint: attrs(form.elements.namedItem('hint')), unplaced,
                    size: message('size'), nested: message('items.1.title') };
    clearErrors(form);
    shown.clearedRadios = [...form.querySelectorAll('[name=size]')].map(attrs);
    return shown;
}"""


def test_show_errors_on_radio_groups_described_fields_and_odd_pointers(
    browser: Browser, tmp_path: Path
) -> None:
    with serving(tmp_path) as server:
        page = browser.new_page()
        try:
            page.goto(server)
            page.wait_for_selector("html[data-ready=yes]", timeout=10_000)
            page.set_content(FORM)  # same origin: the client imports from its mount
            errors = [
                {"pointer": "#/items/1/title", "detail": "Too long."},
                {"pointer": "#/size", "detail": "Pick a size."},
                {"pointer": "#/hint", "detail": "Too short."},
                {"pointer": "#/discount%", "detail": "Not a field here."},
                {"pointer": "#/missing", "detail": "Not a field here."},
            ]
            shown: dict[str, Any] = page.evaluate(SHOW, errors)
        finally:
            page.close()
    assert "threw" not in shown, shown
    # Every radio button of the group is marked, and one message describes them all.
    assert shown["size"] == "Pick a size."
    assert shown["radios"] == [["true", "size-error"], ["true", "size-error"]]
    assert shown["clearedRadios"] == [[None, "size-error"], [None, "size-error"]]
    # A field's own description is kept beside the error's.
    assert shown["hint"] == ["true", "hint-help hint-error"]
    assert shown["nested"] == "Too long."
    assert shown["unplaced"] == ["#/discount%", "#/missing"]
